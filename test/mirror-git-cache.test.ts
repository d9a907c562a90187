/**
 * git clients through the pull-through mirror (docs/mirror.md): B keeps a bare copy of each upstream
 * repo cloned through it, refreshes it after the revalidation period, and serves it — with the LFS
 * objects from its object cache — when upstream is gone. A is the upstream, behind a counting proxy.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { commitVia, createRepoVia, fileOp, headOf, lfsOp, startTestHub, testDialects, uploadLfs, api, gitCommands, type TestHub } from './helpers/hub.js';
import { UpstreamProxy } from './helpers/upstream-proxy.js';

for (const dialect of testDialects()) {
  describe(`mirror: git clones are cached and served offline (${dialect})`, () => {
    let a: TestHub;
    let b: TestHub;
    let proxy: UpstreamProxy;
    let work: string;
    const weights = randomBytes(2 * 1024 * 1024 + 11);
    for (let i = 0; i < 512; i++) if (weights[i] === 0) weights[i] = 1;
    const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' });
    const { git, gitFails } = gitCommands(env);
    const gitRequests = (): number => proxy.count(/^\/alice\/tracked\.git\/(info\/refs|git-upload-pack)/);

    before(async () => {
      work = await mkdtemp(path.join(os.tmpdir(), 'orchard-mirror-gitcache-'));
      await git(work, ['lfs', 'install']);
      a = await startTestHub({ dialect });
      proxy = new UpstreamProxy(a.url);
      await proxy.start();
      for (const name of ['tracked', 'never-cloned']) assert.equal((await createRepoVia(a, a.tokens.alice, name)).status, 200);
      const obj = await uploadLfs(a, a.tokens.alice, 'alice/tracked', weights);
      assert.equal((await commitVia(a, a.tokens.alice, 'alice/tracked', [fileOp('config.json', '{"v": 1}'), lfsOp('weights.bin', obj)])).status, 200);
      b = await startTestHub({
        dialect,
        env: { ORCHARD_UPSTREAM_URL: proxy.url, ORCHARD_UPSTREAM_TOKEN: a.tokens.alice, ORCHARD_MIRROR_REVALIDATE_SECONDS: '2', ORCHARD_UPSTREAM_TIMEOUT_MS: '3000' },
      });
    });
    after(async () => {
      await b?.close();
      await proxy?.close();
      await a?.close();
      if (work) await rm(work, { recursive: true, force: true });
    });

    test('a clone through B fills its copy; a second clone within the period asks upstream nothing', async () => {
      await git(work, ['clone', `${b.url}/alice/tracked`, 'one']);
      assert.deepEqual(await readFile(path.join(work, 'one', 'weights.bin')), weights);
      assert.equal((await git(path.join(work, 'one'), ['rev-parse', 'HEAD'])).stdout.trim(), await headOf(a, a.tokens.alice, 'alice/tracked'));
      const asked = gitRequests();
      assert.ok(asked > 0, 'the first clone fetched from upstream');
      assert.ok(proxy.count(/^\/alice\/tracked\.git\/info\/lfs\/objects\/batch$/) > 0, 'the LFS object was asked of upstream once');
      const batches = proxy.count(/\/info\/lfs\/objects\/batch$/);
      await git(work, ['clone', `${b.url}/alice/tracked`, 'two']);
      assert.deepEqual(await readFile(path.join(work, 'two', 'weights.bin')), weights);
      assert.equal(gitRequests(), asked, 'the second clone was served from the copy');
      assert.equal(proxy.count(/\/info\/lfs\/objects\/batch$/), batches, 'and its LFS object from the cache');
      // The upstream token is used, never stored in the copy.
      const config = await readFile(path.join(b.dataDir, 'mirror-cache', 'git', 'model', 'alice', 'tracked.git', 'config'), 'utf8');
      assert.ok(!config.includes(a.tokens.alice));
    });

    test('after the revalidation period a fetch through B brings upstream\'s new commit', async () => {
      assert.equal((await commitVia(a, a.tokens.alice, 'alice/tracked', [fileOp('config.json', '{"v": 2}')])).status, 200);
      await new Promise((r) => setTimeout(r, 2100));
      await git(path.join(work, 'one'), ['pull', '-q', '--ff-only']);
      assert.equal(await readFile(path.join(work, 'one', 'config.json'), 'utf8'), '{"v": 2}');
      assert.equal((await git(path.join(work, 'one'), ['rev-parse', 'HEAD'])).stdout.trim(), await headOf(a, a.tokens.alice, 'alice/tracked'));
    });

    test('upstream gone: clones of what was fetched still work, LFS included; the rest fails with a clear error', async () => {
      // Known to B (its info was read) but never cloned through it.
      assert.equal((await api(`${b.url}/api/models/alice/never-cloned`)).status, 200);
      const head = await headOf(a, a.tokens.alice, 'alice/tracked');
      await proxy.close();
      await new Promise((r) => setTimeout(r, 2100));
      await git(work, ['clone', `${b.url}/alice/tracked`, 'offline']);
      assert.deepEqual(await readFile(path.join(work, 'offline', 'weights.bin')), weights);
      assert.equal(await readFile(path.join(work, 'offline', 'config.json'), 'utf8'), '{"v": 2}');
      assert.equal((await git(path.join(work, 'offline'), ['rev-parse', 'HEAD'])).stdout.trim(), head);
      const never = await gitFails(work, ['clone', `${b.url}/alice/never-cloned`, 'never']);
      assert.match(never, /504|no git copy|Could not fetch/);
      const unknown = await gitFails(work, ['clone', `${b.url}/alice/not-known-here`, 'unknown']);
      assert.match(unknown, /504|not found|Upstream/i);
    });
  });
}
