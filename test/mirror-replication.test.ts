/**
 * Replication (docs/replication.md): hub A holds a repo; hub B pulls it with
 * `orchard mirror pull` through a counting proxy in front of A, then pushes
 * it to hub C. Real git, git-lfs and `@huggingface/hub` read the copies.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { downloadFile } from '@huggingface/hub';
import { api, commitVia, createRepoVia, expectError, fileOp, gitCommands, headOf, json, lfsOp, testDialects, uploadLfs } from './helpers/hub.js';
import { CountingProxy } from './helpers/counting-proxy.js';
import { commitIds, type ReplHub, repoNames, sha256, startReplHub } from './helpers/replication.js';
import { waitUntil } from './helpers/webhook-receiver.js';

const exec = promisify(execFile);

async function bytesOf(blob: Blob | null): Promise<Buffer> {
  assert.ok(blob, 'a file');
  return Buffer.from(await blob.arrayBuffer());
}

for (const dialect of testDialects()) {
  describe(`replication between hubs (${dialect})`, () => {
    let A: ReplHub;
    let B: ReplHub;
    let C: ReplHub;
    let proxy: CountingProxy;
    let work: string;
    let env: NodeJS.ProcessEnv;
    const { git, gitFails } = gitCommands(() => env);
    const files = new Map<string, Buffer>();

    /** Uploads LFS files and commits them (with other operations) to alice/src on A. */
    async function commitLfs(lfs: Record<string, Buffer>, other: unknown[] = [], summary = 'commit'): Promise<void> {
      const ops = [...other];
      for (const [p, bytes] of Object.entries(lfs)) {
        ops.push(lfsOp(p, await uploadLfs(A, A.tokens.alice, 'alice/src', bytes)));
        files.set(p, bytes);
      }
      const r = await commitVia(A, A.tokens.alice, 'alice/src', ops, { summary });
      assert.equal(r.status, 200, await r.text());
    }

    const lsRemote = async (url: string, token?: string): Promise<string> =>
      (await git(work, ['ls-remote', url], token)).stdout.split('\n').filter((l) => /\trefs\/(heads|tags)\//.test(l)).sort().join('\n');

    before(async () => {
      [A, B, C] = await Promise.all([startReplHub(dialect), startReplHub(dialect), startReplHub(dialect)]);
      proxy = new CountingProxy(A.url);
      await proxy.start();
      work = await mkdtemp(path.join(os.tmpdir(), 'orchard-repl-work-'));
      env = {
        PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0',
        GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.org', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.org',
      };
      await exec('git', ['lfs', 'install'], { cwd: work, env });
      assert.equal((await createRepoVia(A, A.tokens.alice, 'src')).status, 200);
      await commitLfs({ 'weights/a.bin': randomBytes(200_000), 'weights/b.bin': randomBytes(300_123) }, [fileOp('README.md', '---\nlicense: mit\n---\n# Source model\n')], 'first weights');
      await commitLfs({ 'weights/c.bin': randomBytes(1_000_001) }, [fileOp('config.json', '{"layers": 2}\n')], 'more weights');
      assert.equal((await api(`${A.url}/api/models/alice/src/tag/main`, A.tokens.alice, { method: 'POST', body: JSON.stringify({ tag: 'v1' }) })).status, 200);
      assert.equal((await api(`${A.url}/api/models/alice/src/branch/dev`, A.tokens.alice, { method: 'POST', body: '{}' })).status, 200);
    });

    after(async () => {
      await proxy?.close();
      await Promise.all([A?.close(), B?.close(), C?.close()]);
      if (work) await rm(work, { recursive: true, force: true });
    });

    test('pull copies history, branches, tags and every LFS object; clients read the same bytes from B', async () => {
      const r = await B.cli(['mirror', 'pull', `${proxy.url}/alice/src`, '--token', A.tokens.alice]);
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout);
      assert.equal(result.created, true);
      assert.equal(result.lfs.objects, 3);
      assert.deepEqual(proxy.lfsDownloads().sort(), [...files.values()].map(sha256).sort());

      assert.deepEqual(await commitIds(B, B.tokens.alice, 'alice/src'), await commitIds(A, A.tokens.alice, 'alice/src'));
      assert.equal(await lsRemote(`${B.url}/alice/src.git`), await lsRemote(`${A.url}/alice/src.git`));
      for (const [p, bytes] of files) {
        assert.ok((await bytesOf(await downloadFile({ hubUrl: B.url, repo: 'alice/src', path: p }))).equals(bytes), p);
      }
      const clone = path.join(work, 'clone-b');
      await git(work, ['clone', `${B.url}/alice/src.git`, clone]);
      for (const [p, bytes] of files) assert.ok((await readFile(path.join(clone, p))).equals(bytes), `git-lfs ${p}`);

      // The repo says where it came from: API, page, listing (never the token).
      const info = await json(await api(`${B.url}/api/models/alice/src`));
      const upstream = await json(await api(`${A.url}/api/models/alice/src`));
      assert.equal(info.mirror.source, `${proxy.url}/alice/src`);
      assert.equal(info.mirror.kind, 'pull');
      assert.equal(info.mirror.readOnly, true);
      assert.equal(info.mirror.status, 'ok');
      assert.equal(info.mirror.upstreamId, upstream._id);
      assert.equal(info.cardData.license, 'mit');
      assert.ok(!JSON.stringify(info).includes(A.tokens.alice));
      const page = await (await api(`${B.url}/alice/src`)).text();
      assert.match(page, /Mirrored from <a href="http:\/\/127\.0\.0\.1:\d+\/alice\/src"/);
      const list = await B.cli(['mirror', 'list']);
      assert.match(list.stdout, /^alice\/src\tpull\thttp:\/\/127\.0\.0\.1:\d+\/alice\/src\tmanual\t\S+\tok\ttoken:stored$/m);
      assert.ok(!list.stdout.includes(A.tokens.alice));
    });

    test('a private source needs a token that reads it; its mirror stays private', async () => {
      assert.equal((await createRepoVia(A, A.tokens.alice, 'secret', { private: true })).status, 200);
      assert.equal((await commitVia(A, A.tokens.alice, 'alice/secret', [fileOp('plan.txt', 'classified\n')])).status, 200);
      const before = await repoNames(B);
      let r = await B.cli(['mirror', 'pull', `${A.url}/alice/secret`]);
      assert.notEqual(r.code, 0);
      assert.equal(r.stderr, `orchard: ${A.url}/alice/secret does not exist, or it needs a token (--token)\n`);
      r = await B.cli(['mirror', 'pull', `${A.url}/alice/secret`, '--token', A.tokens.bob]);
      assert.match(r.stderr, /does not exist, or the token given cannot read it/);
      assert.deepEqual(await repoNames(B), before);
      r = await B.cli(['mirror', 'pull', `${A.url}/alice/secret`, '--as', 'bob/secret-copy', '--token', A.tokens.aliceRead]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok([401, 404].includes((await api(`${B.url}/api/models/bob/secret-copy`)).status), 'private here too');
      assert.equal(await (await api(`${B.url}/bob/secret-copy/resolve/main/plan.txt`, B.tokens.bob)).text(), 'classified\n');
    });

    test('a second pull transfers only new LFS objects; a force-push and a deleted branch at the source are mirrored', async () => {
      const mark = proxy.log.length;
      const fresh = randomBytes(250_000);
      await commitLfs({ 'weights/d.bin': fresh }, [fileOp('config.json', '{"layers": 3}\n')], 'new weights');
      let r = await B.cli(['mirror', 'pull', 'alice/src']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(proxy.lfsDownloads(mark), [sha256(fresh)], 'only the new object crossed the wire');
      assert.deepEqual(JSON.parse(r.stdout).forced, []);
      assert.deepEqual(await commitIds(B, B.tokens.alice, 'alice/src'), await commitIds(A, A.tokens.alice, 'alice/src'));

      // Rewrite main at the source and delete its dev branch.
      const old = await headOf(A, A.tokens.alice, 'alice/src');
      const a = path.join(work, 'rewrite');
      await git(work, ['clone', `${A.url}/alice/src.git`, a], A.tokens.alice);
      await git(a, ['reset', '--hard', 'HEAD~1']);
      await writeFile(path.join(a, 'notes.txt'), 'rewritten history\n');
      await git(a, ['add', 'notes.txt']);
      await git(a, ['commit', '-m', 'rewrite']);
      await git(a, ['push', '--force', 'origin', 'main'], A.tokens.alice);
      files.delete('weights/d.bin');
      assert.equal((await api(`${A.url}/api/models/alice/src/branch/dev`, A.tokens.alice, { method: 'DELETE' })).status, 200);

      const mark2 = proxy.log.length;
      r = await B.cli(['mirror', 'pull', 'alice/src']);
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout);
      assert.deepEqual(result.forced, ['refs/heads/main']);
      assert.deepEqual(result.deleted, ['refs/heads/dev']);
      assert.match(r.stderr, /refs\/heads\/main was rewritten \(force-pushed\) at the source: mirrored/);
      assert.deepEqual(proxy.lfsDownloads(mark2), []);
      const ids = await commitIds(B, B.tokens.alice, 'alice/src');
      assert.deepEqual(ids, await commitIds(A, A.tokens.alice, 'alice/src'));
      assert.ok(!ids.includes(old));
      assert.equal(await lsRemote(`${B.url}/alice/src.git`), await lsRemote(`${A.url}/alice/src.git`));
      assert.equal((await api(`${B.url}/api/models/alice/src/revision/dev`)).status, 404);
    });

    test('local writes to a mirror are refused with a clear 403 through every door; admin stays', async () => {
      const message = /read-only mirror of http:\/\/127\.0\.0\.1:\d+\/alice\/src/;
      const commit = await expectError(await commitVia(B, B.tokens.alice, 'alice/src', [fileOp('x.txt', 'x')]), 403, 'Forbidden');
      assert.match(commit.error, message);
      await expectError(await api(`${B.url}/api/models/alice/src/branch/feature`, B.tokens.alice, { method: 'POST', body: '{}' }), 403);
      await expectError(await api(`${B.url}/api/models/alice/src/branch/main`, B.tokens.alice, { method: 'DELETE' }), 403);
      await expectError(await api(`${B.url}/api/models/alice/src/tag/main`, B.tokens.alice, { method: 'POST', body: JSON.stringify({ tag: 'local' }) }), 403);
      const batch = await api(`${B.url}/alice/src.git/info/lfs/objects/batch`, B.tokens.alice, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ operation: 'upload', objects: [{ oid: sha256(Buffer.from('x')), size: 1 }] }),
      });
      assert.equal(batch.status, 403);
      const b = path.join(work, 'push-to-mirror');
      await git(work, ['clone', `${B.url}/alice/src.git`, b]);
      await writeFile(path.join(b, 'local.txt'), 'local change\n');
      await git(b, ['add', 'local.txt']);
      await git(b, ['commit', '-m', 'local']);
      const stderr = await gitFails(b, ['push', 'origin', 'main'], B.tokens.alice);
      assert.match(stderr, /403/);
      assert.deepEqual(await commitIds(B, B.tokens.alice, 'alice/src'), await commitIds(A, A.tokens.alice, 'alice/src'));
      // The owner still administers it (settings are not content).
      assert.equal((await api(`${B.url}/api/models/alice/src/settings`, B.tokens.alice, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gated: 'auto' }) })).status, 200);
      assert.equal((await api(`${B.url}/api/models/alice/src/settings`, B.tokens.alice, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gated: false }) })).status, 200);
    });

    test('push from B to a third hub C creates the repo there with history, refs and LFS; a second push sends nothing new', async () => {
      let r = await B.cli(['mirror', 'push', 'alice/src', `${C.url}/alice/copy`, '--token-env', 'C_TOKEN'], { C_TOKEN: C.tokens.alice });
      assert.equal(r.code, 0, r.stderr);
      let result = JSON.parse(r.stdout);
      assert.equal(result.created, true);
      assert.equal(result.lfs.objects, files.size);
      assert.deepEqual(await commitIds(C, C.tokens.alice, 'alice/copy'), await commitIds(A, A.tokens.alice, 'alice/src'));
      assert.equal(await lsRemote(`${C.url}/alice/copy.git`), await lsRemote(`${A.url}/alice/src.git`));
      for (const [p, bytes] of files) {
        assert.ok((await bytesOf(await downloadFile({ hubUrl: C.url, repo: 'alice/copy', path: p }))).equals(bytes), p);
      }
      r = await B.cli(['mirror', 'push', 'alice/src', `${C.url}/alice/copy`], { C_TOKEN: C.tokens.alice });
      assert.equal(r.code, 0, r.stderr);
      result = JSON.parse(r.stdout);
      assert.equal(result.created, false);
      assert.equal(result.lfs.objects, 0);
      const list = await B.cli(['mirror', 'list']);
      assert.match(list.stdout, /^alice\/src\tpush\thttp:\/\/127\.0\.0\.1:\d+\/alice\/copy\tmanual\t\S+\tok\ttoken:env:C_TOKEN$/m);
      assert.ok(!list.stdout.includes(C.tokens.alice));
    });

    test('a scheduled pull happens inside the running hub', async () => {
      const r = await B.cli(['mirror', 'schedule', 'alice/src', '--every', '1s']);
      assert.equal(r.code, 0, r.stderr);
      const fresh = randomBytes(123_456);
      await commitLfs({ 'weights/e.bin': fresh }, [], 'scheduled');
      const head = await headOf(A, A.tokens.alice, 'alice/src');
      let seen = '';
      await waitUntil(async () => {
        // The mirror's state as the API and the replication row tell it, for the message if this times out.
        const info = await json(await api(`${B.url}/api/models/alice/src`));
        seen = `head ${info.sha}, mirror ${JSON.stringify(info.mirror)}`;
        return info.sha === head;
      }, 'the scheduled pull', 60_000).catch((err: Error) => assert.fail(`${err.message}: ${seen}`));
      assert.ok((await bytesOf(await downloadFile({ hubUrl: B.url, repo: 'alice/src', path: 'weights/e.bin' }))).equals(fresh));
      assert.equal((await B.cli(['mirror', 'schedule', 'alice/src', '--every', 'off'])).code, 0);
      // Wait out a run that may have been claimed just before the schedule was cleared.
      await waitUntil(async () => {
        const row = await B.running.hub.db.selectFrom('replications').select('claimed_by').where('direction', '=', 'pull').executeTakeFirst();
        return row?.claimed_by === null;
      }, 'the last scheduled run to end');
    });

    test('a malformed schedule is refused with the accepted forms, and the schedule stays as it was', async () => {
      const listBefore = (await B.cli(['mirror', 'list'])).stdout;
      for (const bad of ['0s', '-5m', '1.5h', '6 hours', 'soon', '', '99999999999999999999d']) {
        const r = await B.cli(['mirror', 'schedule', 'alice/src', '--every', bad]);
        assert.notEqual(r.code, 0, `--every ${JSON.stringify(bad)} must fail`);
        assert.match(r.stderr, /Invalid interval .*use e\.g\. 30s, 15m, 6h, 1d, or off|--every/, bad);
      }
      const missing = await B.cli(['mirror', 'schedule', 'alice/no-such-repo', '--every', '1h']);
      assert.notEqual(missing.code, 0);
      assert.equal((await B.cli(['mirror', 'list'])).stdout, listBefore);
    });

    test('an unreachable source gives a clear error and changes nothing', async () => {
      const before = await repoNames(B);
      // A port that was just free: nothing listens there.
      const closed = createServer();
      await new Promise<void>((res) => closed.listen(0, '127.0.0.1', () => res()));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((res) => closed.close(res));
      let r = await B.cli(['mirror', 'pull', `http://127.0.0.1:${port}/alice/other`, '--token', 'x']);
      assert.notEqual(r.code, 0);
      assert.equal(r.stderr, `orchard: Cannot reach http://127.0.0.1:${port}: ECONNREFUSED\n`);
      assert.deepEqual(await repoNames(B), before);

      const head = await headOf(B, undefined, 'alice/src');
      await commitLfs({ 'weights/f.bin': randomBytes(1000) }, [], 'not pulled');
      await proxy.close();
      r = await B.cli(['mirror', 'pull', 'alice/src']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
      assert.equal(await headOf(B, undefined, 'alice/src'), head);
      const info = await json(await api(`${B.url}/api/models/alice/src`));
      assert.equal(info.mirror.status, 'error');
      assert.match(info.mirror.error, /Cannot reach/);
      assert.deepEqual(await repoNames(B), before);
    });
  });
}
