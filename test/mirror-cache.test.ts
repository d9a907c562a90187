/**
 * The pull-through cache (docs/mirror.md): hub A is the upstream, hub B
 * mirrors it through a counting, fault-injecting proxy, and the real
 * `@huggingface/hub` client downloads through B.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { downloadFile, fileDownloadInfo, listFiles, modelInfo } from '@huggingface/hub';
import { api, commitVia, gitCommands, createRepoVia, expectError, fileOp, headOf, json, lfsOp, startTestHub, testBackend, testDialects, uploadLfs, type TestHub } from './helpers/hub.js';
import { UpstreamProxy } from './helpers/upstream-proxy.js';
import { waitUntil } from './helpers/webhook-receiver.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function bytesOf(blob: Blob | null): Promise<Buffer> {
  assert.ok(blob, 'a file');
  return Buffer.from(await blob.arrayBuffer());
}

/** Reads a response body to the end, or up to where the connection broke. */
async function readAll(res: Response): Promise<{ bytes: Buffer; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
    return { bytes: Buffer.concat(chunks), error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error };
  }
}

const RESOLVE = (path: string): RegExp => new RegExp(`^/alice/base/resolve/[0-9a-f]{40}/${path}$`);

for (const dialect of testDialects()) {
  describe(`pull-through cache (${dialect})`, () => {
    let a: TestHub;
    let b: TestHub;
    let proxy: UpstreamProxy;
    const weights = randomBytes(3 * 1024 * 1024 + 17);
    const config = Buffer.from(JSON.stringify({ model_type: 'orchard-test', hidden_size: 64 }));
    let weightsOid: string;

    before(async () => {
      // Faults are injected between B and A: on S3, A serves the bytes itself instead of redirecting to its
      // bucket (test/mirror-redirect.test.ts covers an upstream that redirects, as the public hub does).
      a = await startTestHub({ dialect, env: testBackend.blobs === 's3' ? { ORCHARD_S3_PRESIGN: 'false' } : {} });
      proxy = new UpstreamProxy(a.url);
      await proxy.start();
      assert.equal((await createRepoVia(a, a.tokens.alice, 'base')).status, 200);
      weightsOid = (await uploadLfs(a, a.tokens.alice, 'alice/base', weights)).oid;
      const r = await commitVia(a, a.tokens.alice, 'alice/base', [
        fileOp('README.md', '---\nlicense: apache-2.0\n---\n# Base\n'),
        fileOp('config.json', config),
        lfsOp('weights.bin', { oid: weightsOid, size: weights.length }),
        fileOp('sub/notes.txt', 'nested'),
      ]);
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal((await createRepoVia(a, a.tokens.alice, 'secret', { private: true })).status, 200);
      assert.equal((await createRepoVia(a, a.tokens.alice, 'denied')).status, 200);
      // The upstream token sees private repos: the mirror must still not serve them.
      b = await startTestHub({
        dialect,
        env: { ORCHARD_UPSTREAM_URL: proxy.url, ORCHARD_UPSTREAM_TOKEN: a.tokens.alice, ORCHARD_MIRROR_DENY: 'alice/denied', ORCHARD_UPSTREAM_TIMEOUT_MS: '3000' },
      });
    });

    after(async () => {
      await b?.close();
      await proxy?.close();
      await a?.close();
    });

    test('the npm client reads info, trees and files of an upstream repo through the mirror', async () => {
      const hubUrl = b.url;
      const info = await modelInfo({ hubUrl, name: 'alice/base', additionalFields: ['sha', 'cardData'] });
      assert.equal(info.sha, await headOf(a, a.tokens.alice, 'alice/base'));
      const files = await collect(listFiles({ hubUrl, repo: 'alice/base', recursive: true }));
      assert.deepEqual(files.map((f) => f.path).sort(), ['.gitattributes', 'README.md', 'config.json', 'sub', 'sub/notes.txt', 'weights.bin']);
      assert.equal(files.find((f) => f.path === 'weights.bin')!.lfs!.oid, weightsOid);
      assert.deepEqual(await bytesOf(await downloadFile({ hubUrl, repo: 'alice/base', path: 'weights.bin' })), weights);
      assert.deepEqual(await bytesOf(await downloadFile({ hubUrl, repo: 'alice/base', path: 'config.json' })), config);
      const lfsInfo = await fileDownloadInfo({ hubUrl, repo: 'alice/base', path: 'weights.bin' });
      assert.equal(lfsInfo!.size, weights.length);
      assert.equal(lfsInfo!.etag, `"${weightsOid}"`);
      // The token B uses upstream is never handed to clients.
      const r = await api(`${b.url}/alice/base/resolve/main/config.json`);
      assert.equal(r.status, 200);
      assert.ok(![...r.headers.values()].some((v) => v.includes(a.tokens.alice)));
      await r.arrayBuffer();
    });

    test('resolve headers match the upstream ones, HEAD starts no transfer, ranges work', async () => {
      const direct = await api(`${a.url}/alice/base/resolve/main/weights.bin`, undefined, { method: 'HEAD' });
      const before = proxy.count(RESOLVE('weights.bin'), 'GET');
      const head = await api(`${b.url}/alice/base/resolve/main/weights.bin`, undefined, { method: 'HEAD' });
      assert.equal(head.status, 200);
      for (const h of ['x-repo-commit', 'x-linked-etag', 'x-linked-size', 'etag', 'content-length', 'accept-ranges']) {
        assert.equal(head.headers.get(h), direct.headers.get(h), h);
      }
      const ranged = await api(`${b.url}/alice/base/resolve/main/weights.bin`, undefined, { headers: { range: 'bytes=100-199' } });
      assert.equal(ranged.status, 206);
      assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), weights.subarray(100, 200));
      assert.equal(proxy.count(RESOLVE('weights.bin'), 'GET'), before, 'cached: nothing fetched again');
      const raw = await api(`${b.url}/alice/base/raw/main/weights.bin`);
      assert.equal(await raw.text(), `version https://git-lfs.github.com/spec/v1\noid sha256:${weightsOid}\nsize ${weights.length}\n`);
    });

    test('20 concurrent requests for an uncached file cause one transfer from upstream', async () => {
      const big = randomBytes(8 * 1024 * 1024);
      const oid = (await uploadLfs(a, a.tokens.alice, 'alice/base', big)).oid;
      assert.equal((await commitVia(a, a.tokens.alice, 'alice/base', [lfsOp('big.bin', { oid, size: big.length })])).status, 200);
      const commit = await headOf(a, a.tokens.alice, 'alice/base');
      const results = await Promise.all(
        Array.from({ length: 20 }, async () => (await readAll(await api(`${b.url}/alice/base/resolve/${commit}/big.bin`))).bytes),
      );
      for (const got of results) assert.equal(sha256(got), oid);
      assert.equal(proxy.count(RESOLVE('big.bin'), 'GET'), 1);
    });

    test('bytes that do not match what upstream announced are refused and never cached', async () => {
      for (const fault of ['corrupt', 'extraBytes'] as const) {
        const content = randomBytes(2 * 1024 * 1024);
        const name = `${fault}.bin`;
        const oid = (await uploadLfs(a, a.tokens.alice, 'alice/base', content)).oid;
        assert.equal((await commitVia(a, a.tokens.alice, 'alice/base', [lfsOp(name, { oid, size: content.length })])).status, 200);
        const commit = await headOf(a, a.tokens.alice, 'alice/base');
        proxy[fault] = new RegExp(`/resolve/[0-9a-f]{40}/${name}$`);
        const bad = await api(`${b.url}/alice/base/resolve/${commit}/${name}`);
        assert.equal(bad.status, 200);
        const got = await readAll(bad);
        // The client never receives a whole body: the last byte waits for the check, which fails.
        assert.ok(got.error !== undefined || got.bytes.length < content.length, `${fault}: response cut`);
        assert.equal(await b.running.hub.db.selectFrom('mirror_objects').select('name').where('name', '=', `sha256-${oid}`).executeTakeFirst(), undefined);
        proxy[fault] = undefined;
        const good = await readAll(await api(`${b.url}/alice/base/resolve/${commit}/${name}`));
        assert.equal(good.error, undefined);
        assert.equal(sha256(good.bytes), oid, `${fault}: the next request gets the right bytes`);
      }
    });

    test('an interrupted transfer resumes from what was cached, also after its process died', async () => {
      const content = randomBytes(6 * 1024 * 1024);
      const oid = (await uploadLfs(a, a.tokens.alice, 'alice/base', content)).oid;
      assert.equal((await commitVia(a, a.tokens.alice, 'alice/base', [lfsOp('cut.bin', { oid, size: content.length })])).status, 200);
      const commit = await headOf(a, a.tokens.alice, 'alice/base');
      proxy.cutAfter = { path: /\/cut\.bin$/, bytes: 4 * 1024 * 1024 };
      const firstRes = await api(`${b.url}/alice/base/resolve/${commit}/cut.bin`);
      assert.equal(firstRes.status, 200);
      const first = await readAll(firstRes);
      assert.ok(first.error !== undefined || first.bytes.length < content.length, 'the client sees the cut');
      proxy.cutAfter = undefined;
      // As if the process that fetched it had crashed: the partial file now belongs to a dead process.
      const dir = path.join(b.dataDir, 'mirror-cache', 'partial');
      const mine = `sha256-${oid}.${process.pid}`;
      assert.ok((await readdir(dir)).includes(mine));
      const dead = spawnSync(process.execPath, ['-e', '']).pid!;
      await rename(path.join(dir, mine), path.join(dir, `sha256-${oid}.${dead}`));
      const second = await readAll(await api(`${b.url}/alice/base/resolve/${commit}/cut.bin`));
      // The client has the last byte once the hash matched; the move into the cache follows it.
      await waitUntil(async () => !(await readdir(dir)).some((f) => f.startsWith(`sha256-${oid}.`)), 'adopted, completed, moved into the cache');
      assert.equal(sha256(second.bytes), oid);
      const asks = proxy.log.filter((r) => /\/cut\.bin$/.test(r.path) && r.method === 'GET');
      assert.equal(asks.length, 2);
      assert.match(asks[1]!.range ?? '', /^bytes=\d+-$/);
      assert.ok(Number(/\d+/.exec(asks[1]!.range!)![0]) >= 1024 * 1024, 'resumed past the start');
    });

    test('usage and hit rates through the API and the page; cached repos in listings, marked as mirrored', async () => {
      await expectError(await api(`${b.url}/api/mirror`), 401);
      const stats = await json(await api(`${b.url}/api/mirror`, b.tokens.bob));
      assert.equal(stats.upstream, proxy.url);
      assert.ok(stats.usage.objects >= 3 && stats.usage.bytes >= weights.length, JSON.stringify(stats.usage));
      assert.ok(stats.files.hits >= 1 && stats.files.misses >= 1);
      assert.ok(stats.files.hitRate > 0 && stats.files.hitRate < 1);
      assert.ok(stats.metadata.hits >= 1);
      assert.deepEqual(stats.repos.map((r: { id: string }) => r.id), ['alice/base']);
      const listed = await json(await api(`${b.url}/api/models?search=base`));
      const entry = listed.find((m: { id: string }) => m.id === 'alice/base');
      assert.equal(entry?.mirrored, true);
      assert.equal((await json(await api(`${b.url}/api/models?search=nomatch`))).length, 0);
      const page = await api(`${b.url}/mirror`, b.tokens.bob);
      assert.equal(page.status, 200);
      const text = await page.text();
      assert.match(text, /id="mirrored-repos"[\s\S]*mirrored[\s\S]*alice\/base/);
      assert.match(text, /File hit rate<\/th><td id="mirror-file-hits">\d+\.\d%/);
    });

    test('git and git-lfs clone an upstream repo through the mirror, byte for byte', async () => {
      const work = await mkdtemp(path.join(os.tmpdir(), 'orchard-mirror-git-'));
      const env = { PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
      const { git, gitFails } = gitCommands(() => env);
      try {
        await git(work, ['lfs', 'install']);
        const before = proxy.count(/\.git\/info\/lfs\/objects\/batch$/);
        await git(work, ['clone', `${b.url}/alice/base`, 'clone']);
        const dir = path.join(work, 'clone');
        assert.deepEqual(await readFile(path.join(dir, 'weights.bin')), weights);
        assert.deepEqual(await readFile(path.join(dir, 'config.json')), config);
        assert.equal((await git(dir, ['rev-parse', 'HEAD'])).stdout.trim(), await headOf(a, a.tokens.alice, 'alice/base'));
        // weights.bin was downloaded through B by the first test: git-lfs gets it from the cache, upstream is not asked.
        assert.equal(proxy.count(/\.git\/info\/lfs\/objects\/batch$/), before, 'a cached LFS object is not asked of upstream again');
        await writeFile(path.join(dir, 'new.txt'), 'x');
        await git(dir, ['add', 'new.txt']);
        await git(dir, ['-c', 'user.name=A', '-c', 'user.email=a@example.org', 'commit', '-qm', 'x']);
        assert.match(await gitFails(dir, ['push', 'origin', 'main'], b.tokens.alice), /read-only|403/);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });

    test('private, denied and missing upstream repos, missing files and bad paths', async () => {
      await expectError(await api(`${b.url}/api/models/alice/secret`), 401);
      await expectError(await api(`${b.url}/api/models/alice/secret`, b.tokens.alice), 404, 'RepoNotFound');
      await expectError(await api(`${b.url}/alice/secret/resolve/main/README.md`, b.tokens.alice), 404, 'RepoNotFound');
      await expectError(await api(`${b.url}/api/models/alice/denied`, b.tokens.alice), 404, 'RepoNotFound');
      assert.equal(proxy.count(/alice\/denied/), 0, 'a denied repo is never asked for');
      await expectError(await api(`${b.url}/api/models/alice/nothing-here`, b.tokens.alice), 404, 'RepoNotFound');
      const missing = await api(`${b.url}/alice/base/resolve/main/nope.txt`);
      await expectError(missing, 404, 'EntryNotFound');
      assert.match(missing.headers.get('x-repo-commit') ?? '', /^[0-9a-f]{40}$/);
      await expectError(await api(`${b.url}/alice/base/resolve/main/..%2Fetc%2Fpasswd`), 400);
      await expectError(await api(`${b.url}/api/models/alice/base/revision/no-such-branch`), 404, 'RevisionNotFound');
      // Writes never reach upstream through the mirror.
      await expectError(await commitVia(b, b.tokens.alice, 'alice/base', [fileOp('x.txt', 'x')]), 404, 'RepoNotFound');
    });

    test('a local repo shadows the upstream one of the same name', async () => {
      assert.equal((await createRepoVia(b, b.tokens.alice, 'base', { private: true })).status, 200);
      await expectError(await api(`${b.url}/api/models/alice/base`), 401);
      const own = await json(await api(`${b.url}/api/models/alice/base`, b.tokens.alice));
      assert.equal(own.mirrored, undefined);
      assert.deepEqual(own.siblings.map((s: { rfilename: string }) => s.rfilename), ['.gitattributes']);
      assert.equal((await api(`${b.url}/api/repos/delete`, b.tokens.alice, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'base', organization: 'alice', type: 'model' }) })).status, 200);
      assert.equal((await json(await api(`${b.url}/api/models/alice/base`))).mirrored, true);
    });

    test('branches are re-checked after the revalidation time; commits never are', async () => {
      const old = await headOf(b, undefined, 'alice/base');
      assert.equal((await commitVia(a, a.tokens.alice, 'alice/base', [fileOp('later.txt', 'later')])).status, 200);
      const now = await headOf(a, a.tokens.alice, 'alice/base');
      // The default revalidation time (5 minutes) has not passed: B still answers with the old head.
      assert.equal(await headOf(b, undefined, 'alice/base'), old);
      await b.running.hub.db.updateTable('mirror_revisions').set({ checked_at: new Date(Date.now() - 3600_000).toISOString() }).execute();
      await b.running.hub.db.updateTable('mirror_repos').set({ checked_at: new Date(Date.now() - 3600_000).toISOString() }).execute();
      assert.equal(await headOf(b, undefined, 'alice/base'), now);
      assert.equal(await (await api(`${b.url}/alice/base/resolve/main/later.txt`)).text(), 'later');
    });

    test('with upstream gone, everything cached still downloads and the rest fails fast', async () => {
      const hubUrl = b.url;
      // What a user does while upstream is up: look at the repo, list it, download it.
      const session = async (): Promise<unknown> => {
        const info = await modelInfo({ hubUrl, name: 'alice/base', additionalFields: ['sha'] });
        const files = (await collect(listFiles({ hubUrl, repo: 'alice/base', recursive: true }))).map((f) => f.path).sort();
        const w = sha256(await bytesOf(await downloadFile({ hubUrl, repo: 'alice/base', path: 'weights.bin' })));
        const c = sha256(await bytesOf(await downloadFile({ hubUrl, repo: 'alice/base', path: 'config.json' })));
        return { sha: info.sha, files, w, c };
      };
      const online = await session();
      await proxy.close();
      // Even past the revalidation time: a branch is then served as last seen.
      await b.running.hub.db.updateTable('mirror_revisions').set({ checked_at: new Date(Date.now() - 3600_000).toISOString() }).execute();
      await b.running.hub.db.updateTable('mirror_repos').set({ checked_at: new Date(Date.now() - 3600_000).toISOString() }).execute();
      assert.deepEqual(await session(), online);
      assert.equal((online as { w: string }).w, weightsOid);
      const missing = await api(`${b.url}/alice/base/resolve/main/never-fetched.txt`);
      await expectError(missing, 504, 'UpstreamUnavailable');
      await expectError(await api(`${b.url}/api/models/alice/other`), 504, 'UpstreamUnavailable');
    });
  });
}
