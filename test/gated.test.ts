import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { gateFields, validateGateAnswers } from '../src/services/gate-form.js';
import { api, CLI, commitVia, createRepoVia, fileOp, lfsOp, sha256, startTestHub, testDialects, uploadLfs, type TestHub, expectError, json, runCli } from './helpers/hub.js';

const exec = promisify(execFile);


const README = `---
license: other
extra_gated_prompt: Tell us who you are.
extra_gated_fields:
  Company: text
  Country: country
  Start date: date_picker
  I want to use this model for:
    type: select
    options:
      - Research
      - label: Other
        value: other
  I agree to the licence: checkbox
---
# Gated
`;

const GOOD_FIELDS = {
  Company: 'Bobcorp',
  Country: 'France',
  'Start date': '2025-02-28',
  'I want to use this model for': 'Research',
  'I agree to the licence': true,
};

const orchard = (args: string[]): ReturnType<typeof runCli> => runCli(args);

for (const dialect of testDialects()) {
  describe(`gated repos and access requests (${dialect})`, () => {
    let hub: TestHub;
    let t: TestHub['tokens'];
    let carol: string;
    let work: string;
    const big = randomBytes(64 * 1024);
    const post = (url: string, token: string | undefined, body: unknown) => api(url, token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const settings = (repo: string, body: unknown) => api(`${hub.url}/api/models/${repo}/settings`, t.alice, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ar = (repo: string, rest = '') => `${hub.url}/api/models/${repo}/user-access-request${rest}`;
    const handle = (repo: string, token: string, body: unknown) => post(ar(repo, '/handle'), token, body);
    const batch = (repo: string, token: string | undefined) =>
      api(`${hub.url}/${repo}.git/info/lfs/objects/batch`, token, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ operation: 'download', transfers: ['basic'], objects: [{ oid: sha256(big), size: big.length }] }),
      });
    const resolve = (repo: string, token: string | undefined, file = 'config.json') => api(`${hub.url}/${repo}/resolve/main/${file}`, token);
    const auditOf = async (action: string) =>
      (await hub.running.hub.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('at').execute()).map((r) => ({ ...r, details: JSON.parse(r.details) }));
    const git = (args: string[], token?: string) => {
      const cred = token ? ['-c', 'credential.helper=', '-c', `credential.helper=!f() { echo username=x; echo password=${token}; }; f`] : ['-c', 'credential.helper='];
      const env = { PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
      return exec('git', [...cred, ...args], { cwd: work, env, maxBuffer: 16 * 1024 * 1024 });
    };

    before(async () => {
      hub = await startTestHub({ dialect });
      t = hub.tokens;
      const c = await createUser(hub.running.hub.db, { name: 'carol', email: 'carol@example.org' });
      carol = (await createToken(hub.running.hub.db, c.id, { role: 'write', displayName: 'carol' })).token;
      work = await mkdtemp(path.join(os.tmpdir(), 'orchard-gated-'));
      await exec('git', ['lfs', 'install'], { cwd: work, env: { PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1' } });

      assert.equal((await createRepoVia(hub, t.alice, 'gated')).status, 200);
      const lfs = await uploadLfs(hub, t.alice, 'alice/gated', big);
      const r = await commitVia(hub, t.alice, 'alice/gated', [fileOp('README.md', README), fileOp('config.json', '{"a": 1}\n'), lfsOp('weights.bin', lfs)]);
      assert.equal(r.status, 200, await r.text());
      assert.equal((await settings('alice/gated', { gated: 'manual' })).status, 200);
    });
    after(async () => {
      await hub.close();
      await rm(work, { recursive: true, force: true });
    });

    test('the bytes answer GatedRepo (401 anonymous, 403 with a token) through every door; metadata stays readable', async () => {
      for (const token of [undefined, t.bob, carol]) {
        const status = token ? 403 : 401;
        await expectError(await resolve('alice/gated', token), status, 'GatedRepo');
        await expectError(await resolve('alice/gated', token, 'weights.bin'), status, 'GatedRepo');
        await expectError(await api(`${hub.url}/alice/gated/raw/main/README.md`, token), status, 'GatedRepo');
        const b = await batch('alice/gated', token);
        await expectError(b, status, 'GatedRepo');
        if (!token) assert.match(b.headers.get('lfs-authenticate') ?? '', /^Basic/);
        const basic = token ? { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` } : undefined;
        const refs = await fetch(`${hub.url}/alice/gated/info/refs?service=git-upload-pack`, { headers: basic });
        await expectError(refs, status, 'GatedRepo');
        if (!token) assert.match(refs.headers.get('www-authenticate') ?? '', /^Basic/);
      }
      // The message is the Hub's, so that PY's GatedRepoError reads naturally.
      const m = (await resolve('alice/gated', t.bob)).headers.get('x-error-message');
      assert.match(m ?? '', /Access to model alice\/gated is restricted/);

      for (const token of [undefined, t.bob]) {
        const info = await json(await api(`${hub.url}/api/models/alice/gated`, token));
        assert.equal(info.gated, 'manual');
        assert.equal(info.cardData.extra_gated_fields.Company, 'text');
        assert.equal((await api(`${hub.url}/api/models/alice/gated/tree/main`, token)).status, 200);
        assert.equal((await api(`${hub.url}/api/models/alice/gated/refs`, token)).status, 200);
        const listed = await json(await api(`${hub.url}/api/models?author=alice`, token));
        assert.ok(listed.some((m: any) => m.id === 'alice/gated'));
      }
      // The owner is never gated.
      assert.equal((await resolve('alice/gated', t.alice)).status, 200);
      assert.equal((await resolve('alice/gated', t.aliceRead)).status, 200);
    });

    test('requesting: 401 anonymous, every form field required and typed, the request is always the caller\'s own', async () => {
      await expectError(await post(ar('alice/gated'), undefined, { fields: GOOD_FIELDS }), 401, 'Unauthorized');
      await expectError(await api(ar('alice/gated', '/me')), 401);
      const missing = await expectError(await post(ar('alice/gated'), t.bob, {}), 400, 'BadRequest');
      assert.equal(missing.errors.length, 5);
      const bad = await expectError(
        await post(ar('alice/gated'), t.bob, {
          fields: { ...GOOD_FIELDS, 'Start date': '2025-02-30', 'I want to use this model for': 'Profit', 'I agree to the licence': false, Company: 7, Extra: 'x' },
        }),
        400,
      );
      const text = bad.errors.map((e: any) => e.message).join('\n');
      for (const re of [/"Start date" must be a date/, /must be one of "Research", "other"/, /must be checked/, /"Company" must be a string/, /"Extra" is not a field/]) assert.match(text, re);
      await expectError(await post(ar('alice/gated'), t.bob, { fields: 'yes' }), 400);
      await expectError(await api(ar('alice/gated', '/me'), t.bob), 404, 'NotFound');
      await expectError(await api(ar('alice/gated'), t.bob), 405);

      // Naming another user in the body does not make it theirs.
      const r = await post(ar('alice/gated'), t.bob, { user: 'carol', fields: { ...GOOD_FIELDS, 'I want to use this model for': 'other', Company: '  Bobcorp  ' } });
      assert.equal(r.status, 200, await r.clone().text());
      const mine = await json(r);
      assert.equal(mine.user.user, 'bob');
      assert.equal(mine.status, 'pending');
      assert.equal(mine.fields.Company, 'Bobcorp');
      await expectError(await api(ar('alice/gated', '/me'), carol), 404);
      assert.equal((await json(await api(ar('alice/gated', '/me'), t.bob))).status, 'pending');
      await expectError(await post(ar('alice/gated'), t.bob, { fields: GOOD_FIELDS }), 409, 'Conflict');
      // Pending is still gated.
      await expectError(await resolve('alice/gated', t.bob), 403, 'GatedRepo');
      // The owner has access already.
      await expectError(await post(ar('alice/gated'), t.alice, { fields: GOOD_FIELDS }), 409);
    });

    test('only managers handle requests: bob cannot accept his own, a read token cannot, an unknown user is 404', async () => {
      await expectError(await handle('alice/gated', t.bob, { user: 'bob', status: 'accepted' }), 403, 'Forbidden');
      await expectError(await post(ar('alice/gated', '/grant'), t.bob, { user: 'bob' }), 403);
      await expectError(await api(ar('alice/gated', '/pending'), t.bob), 403);
      await expectError(await api(ar('alice/gated', '/pending')), 401);
      assert.match((await expectError(await handle('alice/gated', t.aliceRead, { user: 'bob', status: 'accepted' }), 403)).error, /token does not allow/);
      await expectError(await api(ar('alice/gated', '/pending'), t.aliceRead), 403);
      await expectError(await post(ar('alice/gated', '/grant'), t.aliceRead, { user: 'carol' }), 403);
      await expectError(await handle('alice/gated', t.alice, { user: 'nobody', status: 'accepted' }), 404, 'NotFound');
      await expectError(await handle('alice/gated', t.alice, { user: 'carol', status: 'accepted' }), 404, 'NotFound');
      await expectError(await post(ar('alice/gated', '/grant'), t.alice, { user: 'nobody' }), 404);
      await expectError(await handle('alice/gated', t.alice, { user: 'bob', status: 'maybe' }), 400);
      await expectError(await handle('alice/gated', t.alice, { user: 'bob', status: 'accepted', rejectionReason: 'no' }), 400);
      await expectError(await handle('alice/gated', t.alice, { user: 'bob', status: 'rejected', rejectionReason: 'x'.repeat(201) }), 400);
      await expectError(await handle('alice/gated', t.alice, { user: 'bob', status: 'pending' }), 409);
      await expectError(await api(ar('alice/gated', '/handle'), t.alice), 405);
      await expectError(await api(ar('alice/gated', '/bogus'), t.alice), 404);
      // Nothing changed.
      assert.equal((await json(await api(ar('alice/gated', '/me'), t.bob))).status, 'pending');
    });

    test('accept → bob downloads (resolve, LFS, git clone with git-lfs); cancel → gated again; reject with a reason', async () => {
      const pending = await json(await api(ar('alice/gated', '/pending'), t.alice));
      assert.deepEqual(pending.map((p: any) => p.user.user), ['bob']);
      assert.equal(pending[0].user.fullname, 'bob');
      assert.equal(pending[0].user.email, undefined);
      assert.equal(pending[0].fields['I want to use this model for'], 'other');
      assert.match(pending[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      const clone = path.join(work, 'before');
      await assert.rejects(git(['clone', `${hub.url}/alice/gated`, clone], t.bob), /403/);

      const acc = await handle('alice/gated', t.alice, { user: 'Bob', status: 'accepted' });
      assert.equal(acc.status, 200, await acc.clone().text());
      assert.equal((await json(acc)).status, 'accepted');
      await expectError(await handle('alice/gated', t.alice, { user: 'bob', status: 'accepted' }), 409);
      assert.deepEqual(await json(await api(ar('alice/gated', '/pending'), t.alice)), []);
      assert.equal((await json(await api(ar('alice/gated', '/accepted'), t.alice)))[0].user.user, 'bob');

      assert.equal(await (await resolve('alice/gated', t.bob)).text(), '{"a": 1}\n');
      assert.ok(Buffer.from(await (await resolve('alice/gated', t.bob, 'weights.bin')).arrayBuffer()).equals(big));
      const b = await json(await batch('alice/gated', t.bob));
      assert.ok(b.objects[0].actions.download.href);
      const dir = path.join(work, 'after');
      await git(['clone', `${hub.url}/alice/gated`, dir], t.bob);
      assert.ok((await readFile(path.join(dir, 'weights.bin'))).equals(big));
      // Anonymous callers are still gated.
      await expectError(await resolve('alice/gated', undefined), 401, 'GatedRepo');

      // Cancel: back to pending, access gone.
      assert.equal((await handle('alice/gated', t.alice, { user: 'bob', status: 'pending' })).status, 200);
      await expectError(await resolve('alice/gated', t.bob), 403, 'GatedRepo');
      await expectError(await batch('alice/gated', t.bob), 403, 'GatedRepo');

      // Reject with a reason the requester sees; he cannot ask again.
      assert.equal((await handle('alice/gated', t.alice, { user: 'bob', status: 'rejected', rejectionReason: 'Commercial use only' })).status, 200);
      const me = await json(await api(ar('alice/gated', '/me'), t.bob));
      assert.equal(me.status, 'rejected');
      assert.equal(me.rejectionReason, 'Commercial use only');
      await expectError(await resolve('alice/gated', t.bob), 403, 'GatedRepo');
      const again = await expectError(await post(ar('alice/gated'), t.bob, { fields: GOOD_FIELDS }), 409);
      assert.match(again.error, /rejected/);
      assert.equal((await json(await api(ar('alice/gated', '/rejected'), t.alice)))[0].rejectionReason, 'Commercial use only');
      // A rejection can be reversed by a manager.
      assert.equal((await handle('alice/gated', t.alice, { user: 'bob', status: 'accepted' })).status, 200);
      assert.equal((await json(await api(ar('alice/gated', '/me'), t.bob))).rejectionReason, undefined);
      assert.equal((await resolve('alice/gated', t.bob)).status, 200);
    });

    test('grant: no request needed, no email shared, 409 when already accepted; every decision is in the audit log', async () => {
      await expectError(await resolve('alice/gated', carol), 403, 'GatedRepo');
      const g = await post(ar('alice/gated', '/grant'), t.alice, { user: 'carol' });
      assert.equal(g.status, 200, await g.clone().text());
      const granted = await json(g);
      assert.equal(granted.user.user, 'carol');
      assert.equal(granted.status, 'accepted');
      assert.equal(granted.user.email, undefined, 'a grant shares nothing the user did not submit');
      assert.equal(granted.fields, undefined);
      assert.equal((await resolve('alice/gated', carol)).status, 200);
      await expectError(await post(ar('alice/gated', '/grant'), t.alice, { user: 'carol' }), 409, 'Conflict');
      await expectError(await post(ar('alice/gated'), carol, { fields: GOOD_FIELDS }), 409);

      const target = 'model:alice/gated';
      const req = await auditOf('gated.request');
      assert.ok(req.some((e) => e.target === target && e.namespace === 'alice' && e.actor === 'bob' && e.details.user === 'bob' && e.details.status === 'pending'));
      const acc = await auditOf('gated.accept');
      assert.ok(acc.some((e) => e.target === target && e.actor === 'alice' && e.details.user === 'bob'));
      assert.ok((await auditOf('gated.cancel')).some((e) => e.target === target && e.details.user === 'bob' && e.details.from === 'accepted'));
      assert.ok((await auditOf('gated.reject')).some((e) => e.details.user === 'bob' && e.details.reason === 'Commercial use only'));
      assert.ok((await auditOf('gated.grant')).some((e) => e.target === target && e.actor === 'alice' && e.details.user === 'carol'));
    });

    test('auto mode accepts at once, and switching to auto accepts those waiting; not gated → 400; ungating keeps the requests', async () => {
      assert.equal((await createRepoVia(hub, t.alice, 'auto')).status, 200);
      await expectError(await post(ar('alice/auto'), t.bob, {}), 400, 'BadRequest');
      assert.equal((await settings('alice/auto', { gated: 'auto' })).status, 200);
      await expectError(await resolve('alice/auto', t.bob, '.gitattributes'), 403, 'GatedRepo');
      const r = await json(await post(ar('alice/auto'), t.bob, {}));
      assert.equal(r.status, 'accepted');
      assert.equal((await resolve('alice/auto', t.bob, '.gitattributes')).status, 200);

      assert.equal((await settings('alice/auto', { gated: 'manual' })).status, 200);
      assert.equal((await json(await post(ar('alice/auto'), carol, {}))).status, 'pending');
      assert.equal((await settings('alice/auto', { gated: 'auto' })).status, 200);
      assert.equal((await json(await api(ar('alice/auto', '/me'), carol))).status, 'accepted');
      assert.ok((await auditOf('gated.accept')).some((e) => e.target === 'model:alice/auto' && e.details.user === 'carol' && e.details.auto === true));

      // Ungated: open to all, requests kept (and listable), handle/grant refused.
      assert.equal((await settings('alice/auto', { gated: false })).status, 200);
      assert.equal((await resolve('alice/auto', undefined, '.gitattributes')).status, 200);
      assert.equal((await json(await api(ar('alice/auto', '/accepted'), t.alice))).length, 2);
      await expectError(await handle('alice/auto', t.alice, { user: 'bob', status: 'rejected' }), 400);
      await expectError(await post(ar('alice/auto', '/grant'), t.alice, { user: 'bob' }), 400);
      assert.equal((await settings('alice/auto', { gated: 'manual' })).status, 200);
      assert.equal((await resolve('alice/auto', t.bob, '.gitattributes')).status, 200);
    });

    test('a private gated repo stays invisible to outsiders, request endpoints included', async () => {
      assert.equal((await createRepoVia(hub, t.alice, 'secret', { private: true })).status, 200);
      assert.equal((await settings('alice/secret', { gated: 'manual' })).status, 200);
      const bodies = new Set<string>();
      for (const [method, rest, body] of [
        ['POST', '', { fields: {} }],
        ['GET', '/me', undefined],
        ['GET', '/pending', undefined],
        ['POST', '/handle', { user: 'bob', status: 'accepted' }],
        ['POST', '/grant', { user: 'bob' }],
      ] as const) {
        const init = { method, ...(body ? { body: JSON.stringify(body) } : {}) };
        bodies.add(JSON.stringify(await expectError(await api(ar('alice/secret', rest), t.bob, init), 404, 'RepoNotFound')));
        await expectError(await api(ar('alice/secret', rest), undefined, init), 401, 'RepoNotFound');
      }
      // Exactly what a missing repo answers.
      const missing = await expectError(await post(ar('alice/nothing'), t.bob, {}), 404, 'RepoNotFound');
      assert.deepEqual([...bodies].map((b) => JSON.parse(b).error.replace('secret', 'X')), [missing.error.replace('nothing', 'X')]);
      assert.equal((await resolve('alice/secret', t.bob, '.gitattributes')).status, 404);
      // Granting gives the gate, not the visibility.
      assert.equal((await post(ar('alice/secret', '/grant'), t.alice, { user: 'bob' })).status, 200);
      await expectError(await resolve('alice/secret', t.bob, '.gitattributes'), 404, 'RepoNotFound');
    });

    test('the request lists are paginated with an absolute Link that keeps the query', async () => {
      assert.equal((await createRepoVia(hub, t.alice, 'crowd')).status, 200);
      assert.equal((await settings('alice/crowd', { gated: 'manual' })).status, 200);
      const names = ['u1', 'u2', 'u3', 'u4', 'u5'];
      for (const name of names) {
        const u = await createUser(hub.running.hub.db, { name });
        const tok = (await createToken(hub.running.hub.db, u.id, { role: 'read', displayName: name })).token;
        assert.equal((await post(ar('alice/crowd'), tok, {})).status, 200);
      }
      const seen: string[] = [];
      let next: string | undefined = ar('alice/crowd', '/pending?limit=2');
      let pages = 0;
      while (next) {
        const r = await api(next, t.alice);
        assert.equal(r.status, 200);
        seen.push(...(await json(r)).map((x: any) => x.user.user));
        const link = r.headers.get('link');
        next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
        if (next) {
          assert.ok(next.startsWith(`${hub.url}/api/models/alice/crowd/user-access-request/pending?`));
          assert.equal(new URL(next).searchParams.get('limit'), '2');
        }
        pages++;
      }
      assert.equal(pages, 3);
      assert.deepEqual(seen, names);
    });

    test('the CLI lists, accepts, rejects and grants on the database', { skip: dialect !== 'sqlite' && 'the CLI test uses the SQLite data folder' }, async () => {
      assert.equal((await createRepoVia(hub, t.alice, 'cli', { type: 'dataset' })).status, 200);
      assert.equal((await api(`${hub.url}/api/datasets/alice/cli/settings`, t.alice, { method: 'PUT', body: JSON.stringify({ gated: 'manual' }) })).status, 200);
      assert.equal((await post(`${hub.url}/api/datasets/alice/cli/user-access-request`, t.bob, {})).status, 200);
      const data = ['--data', hub.dataDir];

      const list = await orchard(['access', 'list', 'alice/cli', '--type', 'dataset', ...data]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^bob\tpending\t\d{4}-[^\t]+\t\{\}\t\n$/);
      assert.equal((await orchard(['access', 'list', 'alice/cli', ...data])).code, 1, 'a model of that name does not exist');
      assert.equal((await orchard(['access', 'list', 'alice/cli', '--type', 'dataset', '--status', 'nope', ...data])).code, 2);

      const acc = await orchard(['access', 'accept', 'alice/cli', 'bob', '--type', 'dataset', ...data]);
      assert.equal(acc.code, 0, acc.stderr);
      assert.equal((await api(`${hub.url}/datasets/alice/cli/resolve/main/.gitattributes`, t.bob)).status, 200);
      const rej = await orchard(['access', 'reject', 'alice/cli', 'bob', '--type', 'dataset', '--reason', 'Sorry', ...data]);
      assert.equal(rej.code, 0, rej.stderr);
      assert.equal((await json(await api(`${hub.url}/api/datasets/alice/cli/user-access-request/me`, t.bob))).rejectionReason, 'Sorry');
      assert.match((await orchard(['access', 'list', 'alice/cli', '--type', 'dataset', '--status', 'rejected', ...data])).stdout, /^bob\trejected\t.*\tSorry\n$/);
      const grant = await orchard(['access', 'grant', 'alice/cli', 'carol', '--type', 'dataset', ...data]);
      assert.equal(grant.code, 0, grant.stderr);
      assert.equal((await api(`${hub.url}/datasets/alice/cli/resolve/main/.gitattributes`, carol)).status, 200);
      const dup = await orchard(['access', 'grant', 'alice/cli', 'carol', '--type', 'dataset', ...data]);
      assert.equal(dup.code, 1);
      assert.match(dup.stderr, /already has access/);
      assert.equal((await orchard(['access', 'accept', 'alice/cli', 'nobody', '--type', 'dataset', ...data])).code, 1);
      assert.ok((await auditOf('gated.grant')).some((e) => e.target === 'dataset:alice/cli' && e.actor === null && e.details.via === 'cli'));
    });
  });
}

describe('the gate form from extra_gated_fields', () => {
  test('types, select options as strings or {label, value}, lenient about what people write', () => {
    const form = gateFields({
      extra_gated_fields: {
        Name: 'text',
        Where: 'ip_location',
        Odd: 'colour',
        Use: { type: 'select', options: ['Research', { label: 'Other', value: 'other' }, { label: 'Teaching' }, 42, null] },
        Empty: { type: 'select', options: [] },
        Agree: { type: 'checkbox' },
      },
    });
    assert.deepEqual(form, [
      { label: 'Name', type: 'text' },
      { label: 'Odd', type: 'text' },
      { label: 'Use', type: 'select', options: ['Research', 'other', 'Teaching', '42'] },
      { label: 'Agree', type: 'checkbox' },
    ]);
    assert.deepEqual(gateFields({ extra_gated_fields: ['Name'] }), []);
    assert.deepEqual(gateFields(undefined), []);
    assert.deepEqual(validateGateAnswers(form, { Name: ' Bob ', Odd: 'x', Use: '42', Agree: true }), { Name: 'Bob', Odd: 'x', Use: '42', Agree: true });
    assert.deepEqual(validateGateAnswers([], undefined), {});
    assert.throws(() => validateGateAnswers([], { Name: 'x' }), /not a field/);
    assert.throws(() => validateGateAnswers(form, { Name: 'x'.repeat(1001), Odd: 'x', Use: 'other', Agree: true }), /longer than 1000/);
  });
});
