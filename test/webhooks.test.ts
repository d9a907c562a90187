/**
 * Webhooks on the real app, on SQLite and PostgreSQL: management API and its
 * permissions and bad input, the SSRF guard, and delivery to a real receiver
 * on loopback that fails the first attempts: signature (checked with the
 * recipe of docs/webhooks.md), retries with growing back-off, order per repo,
 * events from API commits, git pushes, visibility changes and discussions,
 * the delivery log and redelivery, and private repos.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { nowIso } from '../src/core/time.js';
import { loadConfig } from '../src/config/config.js';
import { createJobQueue } from '../src/jobs/create-job-queue.js';
import type { JobQueue } from '../src/jobs/job-queue.js';
import { startHub, type RunningHub } from '../src/main.js';
import { deliveryTasks } from '../src/services/webhook-delivery.js';
import { api, commitVia, createPgDatabase, createRepoVia, expectError, fileOp, json, seedUsers, startTestHub, type TestHub, testDialects, type Tokens } from './helpers/hub.js';
import { type Received, verifySignature, waitUntil, WebhookReceiver } from './helpers/webhook-receiver.js';

const exec = promisify(execFile);
const SECRET = 'shh-its-a-secret';

for (const dialect of testDialects()) {
  describe(`webhooks (${dialect})`, () => {
    let hub: TestHub;
    let strict: TestHub;
    let receiver: WebhookReceiver;
    const url = (p: string): string => `${hub.url}${p}`;

    const post = (path: string, token: string, body: unknown, target = hub): Promise<Response> =>
      api(`${target.url}${path}`, token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    async function createWebhook(token: string, body: Record<string, unknown>): Promise<any> {
      const r = await post('/api/settings/webhooks', token, { url: receiver.url, domains: ['repo'], secret: SECRET, ...body });
      assert.equal(r.status, 200, await r.clone().text());
      return (await json(r)).webhook;
    }

    const deliveries = async (id: string, token = hub.tokens.alice): Promise<any[]> => json(await api(url(`/api/settings/webhooks/${id}/deliveries?limit=200`), token));
    const delivery = async (id: string, deliveryId: string): Promise<any> =>
      (await json(await api(url(`/api/settings/webhooks/${id}/deliveries/${deliveryId}`), hub.tokens.alice))).delivery;

    /** Waits until every delivery of the webhook is finished and there are `count` of them. */
    const settled = (id: string, count: number): Promise<any[]> =>
      waitUntil(async () => {
        const list = await deliveries(id);
        return list.length === count && list.every((d) => d.status !== 'pending') && list;
      }, `${count} settled deliveries of ${id}`);

    const forWebhook = (id: string) => (r: Received): boolean => r.json?.webhook?.id === id;

    before(async () => {
      receiver = await WebhookReceiver.start();
      hub = await startTestHub({
        dialect,
        env: { ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: '1', ORCHARD_WEBHOOK_RETRY_BASE_MS: '20', ORCHARD_WEBHOOK_MAX_ATTEMPTS: '5', ORCHARD_WEBHOOK_TIMEOUT_MS: '5000' },
      });
      // The default: private targets refused.
      strict = await startTestHub({ dialect });
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'hooked')).status, 200);
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'secret-model', { private: true })).status, 200);
      assert.equal((await createRepoVia(strict, strict.tokens.alice, 'hooked')).status, 200);
    });

    after(async () => {
      await hub?.close();
      await strict?.close();
      await receiver?.close();
    });

    test('create, get, list, update, disable, enable and delete, as huggingface_hub calls them', async () => {
      const created = await createWebhook(hub.tokens.alice, { watched: [{ type: 'model', name: 'alice/hooked' }], domains: ['repo', 'discussion'] });
      assert.match(created.id, /^[0-9a-f]{24}$/);
      assert.equal(created.url, receiver.url);
      assert.deepEqual(created.watched, [{ type: 'model', name: 'alice/hooked' }]);
      assert.deepEqual(created.domains, ['repo', 'discussion']);
      assert.equal(created.secret, SECRET);
      assert.equal(created.disabled, false);

      const got = (await json(await api(url(`/api/settings/webhooks/${created.id}`), hub.tokens.alice))).webhook;
      assert.deepEqual(got, created);
      const list = await json(await api(url('/api/settings/webhooks'), hub.tokens.alice));
      assert.ok(Array.isArray(list));
      assert.ok(list.some((w: any) => w.id === created.id));

      const updated = (await json(await post(`/api/settings/webhooks/${created.id}`, hub.tokens.alice, { url: `${receiver.url}?v=2`, domains: ['discussion'], watched: null, secret: null }))).webhook;
      assert.equal(updated.url, `${receiver.url}?v=2`);
      assert.deepEqual(updated.domains, ['discussion']);
      assert.deepEqual(updated.watched, created.watched, 'null keeps the watched list');
      assert.equal(updated.secret, SECRET, 'null keeps the secret');

      const disabled = (await json(await post(`/api/settings/webhooks/${created.id}/disable`, hub.tokens.alice, {}))).webhook;
      assert.equal(disabled.disabled, true);
      const enabled = (await json(await post(`/api/settings/webhooks/${created.id}/enable`, hub.tokens.alice, {}))).webhook;
      assert.equal(enabled.disabled, false);

      const del = await api(url(`/api/settings/webhooks/${created.id}`), hub.tokens.alice, { method: 'DELETE' });
      assert.equal(del.status, 200);
      await expectError(await api(url(`/api/settings/webhooks/${created.id}`), hub.tokens.alice), 404, 'NotFound');
    });

    test('bad input: URL, domains, watched, secret, unknown endpoints', async () => {
      const base = { url: receiver.url, watched: [{ type: 'model', name: 'alice/hooked' }] };
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ ...base, url: undefined }, /"url" is required/],
        [{ ...base, url: 'not a url' }, /not a valid URL/],
        [{ ...base, url: 'ftp://example.org/x' }, /http:\/\/ or https:\/\//],
        [{ ...base, url: 'file:///etc/passwd' }, /http:\/\/ or https:\/\//],
        [{ ...base, domains: ['repo', 'pushes'] }, /Unknown domain "pushes"/],
        [{ ...base, domains: [] }, /non-empty list/],
        [{ ...base, watched: [] }, /"watched" must be a non-empty list/],
        [{ ...base, watched: undefined }, /"watched" must be a non-empty list/],
        [{ ...base, watched: [{ type: 'bucket', name: 'alice/x' }] }, /watched\[0\]\.type must be one of/],
        [{ ...base, watched: [{ type: 'model', name: 'no-slash' }] }, /Invalid repo id/],
        [{ ...base, secret: 42 }, /"secret" must be a string/],
      ];
      for (const [body, message] of cases) {
        const err = await expectError(await post('/api/settings/webhooks', hub.tokens.alice, body), 400, 'BadRequest');
        assert.match(err.error, message, JSON.stringify(body));
      }
      await expectError(await api(url('/api/settings/webhooks'), hub.tokens.alice, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' }), 400, 'BadRequest');
      await expectError(await post('/api/settings/webhooks', hub.tokens.alice, { ...base, watched: [{ type: 'model', name: 'alice/missing' }] }), 404, 'RepoNotFound');
      await expectError(await api(url('/api/settings/webhooks/nope/frobnicate'), hub.tokens.alice), 404);
      await expectError(await api(url('/api/settings/webhooks'), hub.tokens.alice, { method: 'DELETE' }), 405, 'MethodNotAllowed');
    });

    test('private and loopback targets are refused unless the admin allows them', async () => {
      const refused = [
        'http://127.0.0.1:9/hook', 'http://localhost:9/hook', 'http://[::1]/hook', 'http://[::ffff:127.0.0.1]/hook', 'http://[::ffff:7f00:1]/hook',
        'http://10.1.2.3/', 'http://172.16.0.1/', 'http://192.168.1.1/', 'http://169.254.169.254/latest/meta-data', 'http://[fe80::1]/', 'http://[fd00::1]/',
        'http://0.0.0.0/', 'http://[::]/', 'http://224.0.0.1/', 'http://100.64.0.1/', 'http://[64:ff9b::a00:1]/', 'http://[2002:7f00:1::]/',
      ];
      for (const target of refused) {
        const err = await expectError(await post('/api/settings/webhooks', strict.tokens.alice, { url: target, watched: [{ type: 'model', name: 'alice/hooked' }] }, strict), 400, 'BadRequest');
        assert.match(err.error, /Target refused/, target);
        assert.match(err.error, /ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS/, target);
      }
      // A public address is accepted (nothing is sent until an event happens).
      const ok = await post('/api/settings/webhooks', strict.tokens.alice, { url: 'https://93.184.215.14/hook', watched: [{ type: 'model', name: 'alice/hooked' }] }, strict);
      assert.equal(ok.status, 200, await ok.clone().text());
      const id = (await json(ok)).webhook.id;
      // Updating to a private target is refused too.
      const err = await expectError(await post(`/api/settings/webhooks/${id}`, strict.tokens.alice, { url: 'http://127.0.0.1:1/' }, strict), 400, 'BadRequest');
      assert.match(err.error, /127\.0\.0\.1 is a private/);
    });

    test('permissions: only the owner sees a webhook; nobody watches what they cannot read', async () => {
      const mine = await createWebhook(hub.tokens.alice, { watched: [{ type: 'model', name: 'alice/secret-model' }, { type: 'user', name: 'alice' }] });
      assert.deepEqual(mine.watched, [{ type: 'model', name: 'alice/secret-model' }, { type: 'user', name: 'alice' }]);
      // bob: alice's webhook is invisible, and cannot be changed, run or deleted.
      await expectError(await api(url(`/api/settings/webhooks/${mine.id}`), hub.tokens.bob), 404, 'NotFound');
      await expectError(await post(`/api/settings/webhooks/${mine.id}`, hub.tokens.bob, { url: receiver.url }), 404, 'NotFound');
      await expectError(await post(`/api/settings/webhooks/${mine.id}/disable`, hub.tokens.bob, {}), 404, 'NotFound');
      await expectError(await api(url(`/api/settings/webhooks/${mine.id}`), hub.tokens.bob, { method: 'DELETE' }), 404, 'NotFound');
      await expectError(await api(url(`/api/settings/webhooks/${mine.id}/deliveries`), hub.tokens.bob), 404, 'NotFound');
      const bobList = await json(await api(url('/api/settings/webhooks'), hub.tokens.bob));
      assert.ok(!bobList.some((w: any) => w.id === mine.id));
      // bob cannot watch alice's private repo (it looks missing) nor her whole namespace; her public repo is fine.
      const missing = await expectError(await post('/api/settings/webhooks', hub.tokens.bob, { url: receiver.url, watched: [{ type: 'model', name: 'alice/secret-model' }] }), 404, 'RepoNotFound');
      const absent = await expectError(await post('/api/settings/webhooks', hub.tokens.bob, { url: receiver.url, watched: [{ type: 'model', name: 'alice/no-such-model' }] }), 404, 'RepoNotFound');
      assert.equal(missing.error.replace('secret-model', 'X'), absent.error.replace('no-such-model', 'X'), 'a private repo reads exactly like a missing one');
      await expectError(await post('/api/settings/webhooks', hub.tokens.bob, { url: receiver.url, watched: [{ type: 'user', name: 'alice' }] }), 403, 'Forbidden');
      const bobs = await createWebhook(hub.tokens.bob, { watched: [{ type: 'model', name: 'alice/hooked' }] });
      assert.equal(bobs.secret, SECRET);
      // Orgs: only admins watch the whole org.
      assert.equal((await post('/api/organizations', hub.tokens.alice, { name: 'acme' })).status, 200);
      assert.equal((await api(url('/api/organizations/acme/members/bob'), hub.tokens.alice, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'write' }) })).status, 200);
      await expectError(await post('/api/settings/webhooks', hub.tokens.bob, { url: receiver.url, watched: [{ type: 'org', name: 'acme' }] }), 403, 'Forbidden');
      const org = await createWebhook(hub.tokens.alice, { watched: [{ type: 'org', name: 'acme' }] });
      assert.deepEqual(org.watched, [{ type: 'org', name: 'acme' }]);
      await expectError(await post('/api/settings/webhooks', hub.tokens.alice, { url: receiver.url, watched: [{ type: 'org', name: 'no-such-org' }] }), 404, 'NotFound');
      // Credentials: anonymous 401, a read token 403.
      await expectError(await api(url('/api/settings/webhooks')), 401);
      await expectError(await api(url('/api/settings/webhooks'), hub.tokens.aliceRead), 403, 'Forbidden');
      for (const id of [mine.id, bobs.id, org.id]) {
        const owner = id === bobs.id ? hub.tokens.bob : hub.tokens.alice;
        assert.equal((await api(url(`/api/settings/webhooks/${id}`), owner, { method: 'DELETE' })).status, 200);
      }
    });

    test('a push through the API is delivered, signed, after retries with growing back-off', async () => {
      const hook = await createWebhook(hub.tokens.alice, { watched: [{ type: 'model', name: 'alice/hooked' }] });
      let failures = 0;
      receiver.respond = (r) => (forWebhook(hook.id)(r) && failures++ < 3 ? 500 : 200);
      const commit = await commitVia(hub, hub.tokens.alice, 'alice/hooked', [fileOp('a.txt', 'one')], { summary: 'first' });
      assert.equal(commit.status, 200);
      const { commitOid } = await json(commit);
      // The delivery row exists as soon as the commit answered.
      const queued = await deliveries(hook.id);
      assert.equal(queued.length, 1);
      assert.equal(queued[0].event, 'repo.content.update');

      await receiver.waitFor((rs) => rs.filter(forWebhook(hook.id)).some((r) => r.status === 200), 'the successful attempt');
      const got = receiver.received.filter(forWebhook(hook.id));
      assert.deepEqual(got.map((r) => r.status), [500, 500, 500, 200]);
      assert.equal(new Set(got.map((r) => r.deliveryId)).size, 1, 'retries keep the delivery id');
      for (const r of got) {
        assert.ok(verifySignature(SECRET, r.headers, r.body), 'the documented recipe verifies the signature');
        assert.ok(!verifySignature('wrong secret', r.headers, r.body));
        assert.ok(!verifySignature(SECRET, r.headers, r.body.replace('"update"', '"delete"')), 'a changed body fails');
        assert.ok(!verifySignature(SECRET, r.headers, r.body, Number(r.timestamp) + 3600), 'an old timestamp fails');
        assert.equal(r.headers['content-type'], 'application/json');
        assert.equal(r.event, 'repo.content.update');
      }
      const body = got[3]!.json;
      assert.deepEqual(body.event, { action: 'update', scope: 'repo.content' });
      assert.equal(body.repo.type, 'model');
      assert.equal(body.repo.name, 'alice/hooked');
      assert.equal(body.repo.private, false);
      assert.equal(body.repo.headSha, commitOid);
      assert.equal(body.repo.url.web, `${hub.url}/alice/hooked`);
      assert.equal(body.repo.url.api, `${hub.url}/api/models/alice/hooked`);
      assert.deepEqual(body.repo.owner, { name: 'alice', type: 'user' });
      assert.deepEqual(body.webhook, { id: hook.id, version: 3 });
      assert.equal(body.updatedRefs.length, 1);
      assert.equal(body.updatedRefs[0].ref, 'refs/heads/main');
      assert.equal(body.updatedRefs[0].newSha, commitOid);

      const [log] = await settled(hook.id, 1);
      assert.equal(log.status, 'succeeded');
      assert.equal(log.attempts, 4);
      assert.equal(log.responseStatus, 200);
      assert.equal(log.responseBody, 'thanks');
      assert.equal(typeof log.responseTimeMs, 'number');
      const detail = await delivery(hook.id, log.id);
      assert.deepEqual(detail.attemptLog.map((a: any) => a.responseStatus), [500, 500, 500, 200]);
      assert.deepEqual(detail.attemptLog.map((a: any) => a.attempt), [1, 2, 3, 4]);
      const delays = detail.attemptLog.slice(0, 3).map((a: any) => a.retryDelayMs);
      assert.ok(delays.every((d: number, i: number) => i === 0 || d >= delays[i - 1]), `back-off grows: ${delays}`);
      assert.equal(detail.attemptLog[3].retryDelayMs, null);
      assert.deepEqual(detail.payload, body);
      receiver.respond = () => 200;
    });

    test('a receiver that never succeeds: the delivery fails after the last attempt', async () => {
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'doomed')).status, 200);
      const hook = await createWebhook(hub.tokens.alice, { watched: [{ type: 'model', name: 'alice/doomed' }] });
      receiver.respond = (r) => (forWebhook(hook.id)(r) ? 503 : 200);
      assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/doomed', [fileOp('x', 'x')])).status, 200);
      const [log] = await settled(hook.id, 1);
      assert.equal(log.status, 'failed');
      assert.equal(log.attempts, 5);
      assert.equal(log.responseStatus, 503);
      assert.equal(log.error, 'HTTP 503');
      assert.equal(receiver.received.filter(forWebhook(hook.id)).length, 5);
      receiver.respond = () => 200;
    });

    test('order per repo: quick pushes arrive in order although the first attempts fail', async () => {
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'ordered')).status, 200);
      const hook = await createWebhook(hub.tokens.alice, { watched: [{ type: 'user', name: 'alice' }] });
      let failures = 0;
      receiver.respond = (r) => (forWebhook(hook.id)(r) && failures++ < 4 ? 500 : 200);
      const shas: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await commitVia(hub, hub.tokens.alice, 'alice/ordered', [fileOp('n.txt', String(i))], { summary: `c${i}` });
        shas.push((await json(r)).commitOid);
      }
      const mine = (rs: Received[]): Received[] => rs.filter(forWebhook(hook.id)).filter((r) => r.json.repo.name === 'alice/ordered');
      await receiver.waitFor((rs) => mine(rs).filter((r) => r.status === 200).length === 5, 'five deliveries');
      const ok = mine(receiver.received).filter((r) => r.status === 200);
      assert.deepEqual(ok.map((r) => r.json.updatedRefs[0].newSha), shas, 'delivered in push order');
      // Never a later delivery before an earlier one finished: the ids, in arrival order, only move forward.
      const ids = mine(receiver.received).map((r) => r.deliveryId);
      const firstSeen = [...new Set(ids)];
      for (let i = 1; i < ids.length; i++) assert.ok(firstSeen.indexOf(ids[i]!) >= firstSeen.indexOf(ids[i - 1]!), `interleaved: ${ids}`);
      assert.equal(ids.length, 9, 'four failures, then five successes');
      await api(url(`/api/settings/webhooks/${hook.id}`), hub.tokens.alice, { method: 'DELETE' });
      receiver.respond = () => 200;
    });

    test('a namespace watch hears of new repos; a git push and a visibility change are delivered', async () => {
      const hook = await createWebhook(hub.tokens.alice, { watched: [{ type: 'user', name: 'alice' }] });
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'pushed')).status, 200);
      await receiver.waitFor((rs) => rs.some((r) => forWebhook(hook.id)(r) && r.event === 'repo.create' && r.json.repo.name === 'alice/pushed'), 'repo.create');

      // A real git push over smart HTTP.
      const work = await mkdtemp(path.join(os.tmpdir(), 'orchard-webhook-git-'));
      try {
        const env = {
          PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0',
          GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.org', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.org',
        };
        const cred = ['-c', 'credential.helper=', '-c', `credential.helper=!f() { echo username=x; echo password=${hub.tokens.alice}; }; f`];
        const git = (cwd: string, args: string[]) => exec('git', [...cred, ...args], { cwd, env });
        const clone = path.join(work, 'c');
        await git(work, ['clone', `${hub.url}/alice/pushed`, clone]);
        await writeFile(path.join(clone, 'README.md'), '# pushed by git\n');
        await git(clone, ['add', '.']);
        await git(clone, ['commit', '-m', 'push it']);
        await git(clone, ['push', 'origin', 'main']);
        const head = (await git(clone, ['rev-parse', 'HEAD'])).stdout.trim();
        await receiver.waitFor((rs) => rs.some((r) => forWebhook(hook.id)(r) && r.event === 'repo.content.update' && r.json.repo.headSha === head), 'the push');
      } finally {
        await rm(work, { recursive: true, force: true });
      }

      const vis = await api(url('/api/models/alice/pushed/settings'), hub.tokens.alice, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ private: true }) });
      assert.equal(vis.status, 200);
      await receiver.waitFor((rs) => rs.some((r) => forWebhook(hook.id)(r) && r.event === 'repo.config.update'), 'the visibility change');
      const config = receiver.received.find((r) => forWebhook(hook.id)(r) && r.event === 'repo.config.update')!;
      assert.deepEqual(config.json.updatedConfig, { private: true });
      assert.equal(config.json.repo.private, true);
      assert.ok(verifySignature(SECRET, config.headers, config.body));
      await api(url(`/api/settings/webhooks/${hook.id}`), hub.tokens.alice, { method: 'DELETE' });
    });

    test('discussion events go to webhooks with the discussion domain only', async () => {
      const both = await createWebhook(hub.tokens.alice, { watched: [{ type: 'model', name: 'alice/hooked' }], domains: ['repo', 'discussion'] });
      const repoOnly = await createWebhook(hub.tokens.alice, { watched: [{ type: 'model', name: 'alice/hooked' }], domains: ['repo'] });
      const row = await hub.running.hub.db.selectFrom('repos').selectAll().where('full_name_lc', '=', 'alice/hooked').executeTakeFirstOrThrow();
      // Emitted the way the discussions service does (it is built alongside).
      const repo = { type: 'model' as const, namespace: 'alice', name: 'hooked', private: false, headSha: row.head_sha };
      const discussion = { num: 7, title: 'Typo in the card', isPullRequest: false, status: 'open', author: 'bob' };
      await hub.running.hub.events.emit({ scope: 'discussion', action: 'create', repoId: row.id, repo, discussion, actor: 'bob', at: nowIso() });
      await hub.running.hub.events.emit({
        scope: 'discussion.comment', action: 'create', repoId: row.id, repo, discussion, actor: 'alice', at: nowIso(),
        comment: { id: 'c1', author: 'alice', content: 'Thanks, fixed.', hidden: false },
      });
      await receiver.waitFor((rs) => rs.filter((r) => forWebhook(both.id)(r) && r.status === 200).length === 2, 'two discussion deliveries');
      const [d, c] = receiver.received.filter(forWebhook(both.id));
      assert.equal(d!.event, 'discussion.create');
      assert.deepEqual(d!.json.event, { action: 'create', scope: 'discussion' });
      assert.equal(d!.json.discussion.num, 7);
      assert.equal(d!.json.discussion.title, 'Typo in the card');
      assert.equal(d!.json.discussion.url.web, `${hub.url}/alice/hooked/discussions/7`);
      assert.equal(c!.event, 'discussion.comment.create');
      assert.equal(c!.json.comment.content, 'Thanks, fixed.');
      assert.deepEqual(c!.json.comment.author, { name: 'alice' });
      assert.equal((await deliveries(repoOnly.id)).length, 0, 'the repo-only webhook queued nothing');
      for (const id of [both.id, repoOnly.id]) await api(url(`/api/settings/webhooks/${id}`), hub.tokens.alice, { method: 'DELETE' });
    });

    test('discussions opened and commented through the API are delivered', async () => {
      const hook = await createWebhook(hub.tokens.alice, { watched: [{ type: 'model', name: 'alice/hooked' }], domains: ['discussion'] });
      const opened = await post('/api/models/alice/hooked/discussions', hub.tokens.bob, { title: 'Which license?', description: 'Is this MIT?' });
      assert.equal(opened.status, 200, await opened.clone().text());
      const num = (await json(opened)).num;
      const commented = await post(`/api/models/alice/hooked/discussions/${num}/comment`, hub.tokens.alice, { comment: 'Apache-2.0.' });
      assert.equal(commented.status, 200, await commented.clone().text());
      await receiver.waitFor((rs) => rs.filter((r) => forWebhook(hook.id)(r) && r.status === 200).length === 2, 'the discussion and the comment');
      const [d, c] = receiver.received.filter(forWebhook(hook.id));
      assert.equal(d!.event, 'discussion.create');
      assert.equal(d!.json.discussion.num, num);
      assert.equal(d!.json.discussion.title, 'Which license?');
      assert.deepEqual(d!.json.discussion.author, { name: 'bob' });
      assert.equal(d!.json.discussion.isPullRequest, false);
      assert.equal(c!.event, 'discussion.comment.create');
      assert.equal(c!.json.comment.content, 'Apache-2.0.');
      assert.deepEqual(c!.json.actor, { name: 'alice' });
      assert.ok(verifySignature(SECRET, c!.headers, c!.body));
      await api(url(`/api/settings/webhooks/${hook.id}`), hub.tokens.alice, { method: 'DELETE' });
    });

    test('the delivery log pages newest first; redelivery sends the same payload again', async () => {
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'logged')).status, 200);
      const hook = await createWebhook(hub.tokens.alice, { watched: [{ type: 'model', name: 'alice/logged' }] });
      for (let i = 0; i < 3; i++) assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/logged', [fileOp('f', String(i))])).status, 200);
      const all = await settled(hook.id, 3);
      const page1 = await api(url(`/api/settings/webhooks/${hook.id}/deliveries?limit=2`), hub.tokens.alice);
      const first = await json(page1);
      assert.deepEqual(first.map((d: any) => d.id), all.slice(0, 2).map((d) => d.id));
      const next = /<([^>]+)>; rel="next"/.exec(page1.headers.get('link') ?? '')?.[1];
      assert.ok(next, 'a Link to the next page');
      const second = await json(await api(next, hub.tokens.alice));
      assert.deepEqual(second.map((d: any) => d.id), [all[2].id]);
      // Newest first: the first page starts with the last push.
      const newest = await delivery(hook.id, all[0].id);
      const oldest = await delivery(hook.id, all[2].id);
      assert.ok(newest.createdAt >= oldest.createdAt);
      assert.notEqual(newest.payload.repo.headSha, oldest.payload.repo.headSha);

      const original = receiver.received.find((r) => r.deliveryId === oldest.id && r.status === 200)!;
      const again = await post(`/api/settings/webhooks/${hook.id}/deliveries/${oldest.id}/redeliver`, hub.tokens.alice, {});
      assert.equal(again.status, 200);
      const copy = (await json(again)).delivery;
      assert.notEqual(copy.id, oldest.id);
      assert.equal(copy.redeliveryOf, oldest.id);
      assert.equal(copy.status, 'pending');
      await receiver.waitFor((rs) => rs.some((r) => r.deliveryId === copy.id), 'the redelivery');
      const resent = receiver.received.find((r) => r.deliveryId === copy.id)!;
      assert.equal(resent.body, original.body, 'byte for byte the same payload');
      assert.ok(verifySignature(SECRET, resent.headers, resent.body));
      const log = await settled(hook.id, 4);
      assert.equal(log[0].id, copy.id);
      assert.equal(log[0].status, 'succeeded');
      // Someone else's delivery, or a missing one, cannot be redelivered.
      await expectError(await post(`/api/settings/webhooks/${hook.id}/deliveries/${oldest.id}/redeliver`, hub.tokens.bob, {}), 404, 'NotFound');
      await expectError(await post(`/api/settings/webhooks/${hook.id}/deliveries/nope/redeliver`, hub.tokens.alice, {}), 404, 'NotFound');
      await api(url(`/api/settings/webhooks/${hook.id}`), hub.tokens.alice, { method: 'DELETE' });
    });

    test('a disabled webhook queues nothing; an update changes where pending deliveries go', async () => {
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'paused')).status, 200);
      const hook = await createWebhook(hub.tokens.alice, { watched: [{ type: 'model', name: 'alice/paused' }] });
      await post(`/api/settings/webhooks/${hook.id}/disable`, hub.tokens.alice, {});
      assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/paused', [fileOp('p', '1')])).status, 200);
      assert.equal((await deliveries(hook.id)).length, 0);
      await post(`/api/settings/webhooks/${hook.id}/enable`, hub.tokens.alice, {});
      const other = await WebhookReceiver.start();
      try {
        // Hold the first attempt at the old receiver, point the webhook elsewhere, then fail it: the retry goes to the new URL.
        let release!: (status: number) => void;
        const held = new Promise<number>((r) => (release = r));
        receiver.respond = (r) => (forWebhook(hook.id)(r) ? held : 200);
        assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/paused', [fileOp('p', '2')])).status, 200);
        await receiver.waitFor((rs) => rs.some(forWebhook(hook.id)), 'the held attempt');
        await post(`/api/settings/webhooks/${hook.id}`, hub.tokens.alice, { url: other.url, secret: 'new secret' });
        release(500);
        await other.waitFor((rs) => rs.some((r) => r.status === 200), 'the retry at the new URL');
        assert.ok(verifySignature('new secret', other.received[0]!.headers, other.received[0]!.body));
      } finally {
        receiver.respond = () => 200;
        await other.close();
      }
      await api(url(`/api/settings/webhooks/${hook.id}`), hub.tokens.alice, { method: 'DELETE' });
    });

    test('private repos: events reach only owners who can read the repo when it is sent', async () => {
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'going-private')).status, 200);
      const bobs = await createWebhook(hub.tokens.bob, { watched: [{ type: 'model', name: 'alice/going-private' }] });
      const alices = await createWebhook(hub.tokens.alice, { watched: [{ type: 'model', name: 'alice/going-private' }] });
      let release!: (status: number) => void;
      const held = new Promise<number>((r) => (release = r));
      receiver.respond = (r) => (forWebhook(bobs.id)(r) ? held : 200);
      assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/going-private', [fileOp('p', '1')])).status, 200);
      await receiver.waitFor((rs) => rs.some(forWebhook(bobs.id)), "bob's first attempt");
      // While bob's delivery is in flight, alice makes the repo private; the attempt then fails.
      const vis = await api(url('/api/models/alice/going-private/settings'), hub.tokens.alice, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ private: true }) });
      assert.equal(vis.status, 200);
      release(500);
      const [bobLog] = await waitUntil(async () => {
        const list = await deliveries(bobs.id, hub.tokens.bob);
        return list.length === 1 && list[0].status === 'failed' && list;
      }, "bob's delivery given up");
      assert.match(bobLog.error, /cannot read this repository/);
      assert.equal(bobLog.attempts, 1, 'no retry reached bob once the repo was private');
      // bob never heard of the visibility change; alice did, and got both events.
      const aliceLog = await settled(alices.id, 2);
      assert.deepEqual(aliceLog.map((d) => d.event).sort(), ['repo.config.update', 'repo.content.update']);
      assert.equal(receiver.received.filter(forWebhook(bobs.id)).length, 1);
      receiver.respond = () => 200;
      for (const [id, token] of [[bobs.id, hub.tokens.bob], [alices.id, hub.tokens.alice]] as const) await api(url(`/api/settings/webhooks/${id}`), token, { method: 'DELETE' });
    });
  });
}

// Several queues on one database share their jobs only on PostgreSQL (graphile-worker); a SQLite hub is
// one process whose queue lives in its memory (docs/operations.md), so there is nothing to compete for.
for (const dialect of testDialects().filter((d) => d === 'postgres')) {
  describe(`webhook jobs taken by three queues on one database (${dialect})`, () => {
    let hub: { url: string; tokens: Tokens; running: RunningHub };
    let receiver: WebhookReceiver;
    let pg: { url: string; drop(): Promise<void> };
    let dataDir: string;
    const extra: JobQueue[] = [];

    before(async () => {
      receiver = await WebhookReceiver.start();
      pg = await createPgDatabase();
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-wh-queues-'));
      const tokens = await seedUsers(dataDir, pg.url);
      const running = await startHub(loadConfig({ port: '0', data: dataDir, database: pg.url }, { ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: '1', ORCHARD_WEBHOOK_RETRY_BASE_MS: '10' }));
      hub = { url: running.url, tokens, running };
    });
    after(async () => {
      for (const q of extra) await q.stop();
      await hub?.running.close();
      await receiver?.close();
      await pg?.drop();
      await rm(dataDir, { recursive: true, force: true });
    });

    test('three queues on one database never send the same delivery twice, and keep order per repo', async () => {
      // The hub's own queue plus two more graphile-worker queues on the same database, as two more hub processes would run.
      for (let i = 0; i < 2; i++) {
        const q = await createJobQueue({ dialect: 'postgres', databaseUrl: pg.url, concurrency: 8 });
        await q.start(deliveryTasks(hub.running.hub, q, { allowPrivateTargets: true, retryBaseMs: 10, maxAttempts: 5, timeoutMs: 5000 }));
        extra.push(q);
      }
      const names = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5'];
      for (const n of names) assert.equal((await createRepoVia(hub, hub.tokens.alice, n)).status, 200);
      const r = await api(`${hub.url}/api/settings/webhooks`, hub.tokens.alice, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, watched: [{ type: 'user', name: 'alice' }], domains: ['repo'] }),
      });
      const hookId = (await json(r)).webhook.id;
      // Every first attempt fails, so retries compete too.
      const seen = new Set<string>();
      receiver.respond = (x) => (seen.has(x.deliveryId) ? 200 : (seen.add(x.deliveryId), 500));
      await Promise.all(names.map(async (n) => {
        for (let i = 0; i < 3; i++) assert.equal((await commitVia(hub, hub.tokens.alice, `alice/${n}`, [fileOp('f', String(i))])).status, 200);
      }));
      const total = names.length * 3;
      const log = await waitUntil(async () => {
        const list = await json(await api(`${hub.url}/api/settings/webhooks/${hookId}/deliveries?limit=200`, hub.tokens.alice));
        return list.length === total && list.every((d: any) => d.status === 'succeeded') && list;
      }, 'every delivery succeeded');
      const ok = receiver.delivered();
      assert.equal(ok.length, total, 'one success per delivery');
      assert.equal(new Set(ok.map((x) => x.deliveryId)).size, total);
      // Attempts recorded = requests received for each delivery: no send went unrecorded or doubled.
      const received = new Map<string, number>();
      for (const x of receiver.received) received.set(x.deliveryId, (received.get(x.deliveryId) ?? 0) + 1);
      for (const d of log) assert.equal(received.get(d.id), d.attempts, `delivery ${d.id}`);
      // Per repo, pushes arrive in order.
      for (const n of names) {
        const shas = ok.filter((x) => x.json.repo.name === `alice/${n}`).map((x) => x.json.updatedRefs[0].oldSha);
        const news = ok.filter((x) => x.json.repo.name === `alice/${n}`).map((x) => x.json.updatedRefs[0].newSha);
        for (let i = 1; i < shas.length; i++) assert.equal(shas[i], news[i - 1], `alice/${n} in order`);
      }
    });
  });
}
