/**
 * A hub whose LFS objects live in S3: the real `@huggingface/hub` client and
 * the real git + git-lfs against a hub on an S3 bucket served by s3rver, an S3
 * **emulator** started by this file (docs/storage.md says why no real
 * S3-compatible server runs here). Downloads through `resolve` are redirected
 * to presigned URLs; the emulator's request log shows which bytes came from
 * storage directly.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { downloadFile, fileDownloadInfo, uploadFile } from '@huggingface/hub';
import { api, commitVia, createRepoVia, gitCommands, headOf, lfsOp, sha256, startTestHub, testDialects, uploadLfs, type TestHub } from './helpers/hub.js';
import { startS3Emulator, type S3Emulator } from './helpers/s3-emulator.js';

const exec = promisify(execFile);
const keyOf = (oid: string, prefix = 'lfs/'): string => `${prefix}${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`;

/** Random bytes without NUL in the sample clients sniff, so that only LFS rules decide. */
function weights(size: number): Buffer {
  const b = randomBytes(size);
  for (let i = 0; i < Math.min(512, size); i++) if (b[i] === 0) b[i] = 1;
  return b;
}

for (const dialect of testDialects()) {
  describe(`hub on S3 (s3rver emulator), presigned downloads [${dialect}]`, () => {
    let s3: S3Emulator;
    let hub: TestHub;
    let work: string;
    let env: NodeJS.ProcessEnv;
    const { git } = gitCommands(() => env);
    const repo = 'alice/s3-model';
    const big = weights(12 * 1024 * 1024 + 321);
    const bigSha = sha256(big);

    before(async () => {
      s3 = await startS3Emulator();
      hub = await startTestHub({ dialect, env: s3.env });
      work = await mkdtemp(path.join(os.tmpdir(), 'orchard-s3-git-'));
      env = {
        PATH: process.env.PATH,
        HOME: work,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_TERMINAL_PROMPT: '0',
        GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.org', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.org',
      };
      await exec('git', ['lfs', 'install'], { cwd: work, env });
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 's3-model')).status, 200);
    });
    after(async () => {
      await hub?.close();
      await s3?.close();
      if (work) await rm(work, { recursive: true, force: true });
    });

    test('uploadFile (JS) stores the LFS object in the bucket, under the prefix, and nowhere on disk', async () => {
      const out = await uploadFile({ hubUrl: hub.url, accessToken: hub.tokens.alice, repo, file: { path: 'weights/model.bin', content: new Blob([new Uint8Array(big)]) } });
      assert.ok(out?.commit.oid);
      assert.deepEqual(await s3.objectKeys(), [keyOf(bigSha)]);
      assert.deepEqual(await s3.pendingUploads(), []);
      const local = await readFile(path.join(hub.dataDir, 'lfs', 'objects', bigSha.slice(0, 2), bigSha.slice(2, 4), bigSha)).catch(() => undefined);
      assert.equal(local, undefined);
    });

    test('resolve answers 302 to an absolute presigned URL, with the headers PY reads on the redirect itself (spec 2.3 A)', async () => {
      const head = await headOf(hub, hub.tokens.alice, repo);
      for (const method of ['HEAD', 'GET']) {
        const r = await api(`${hub.url}/${repo}/resolve/main/weights/model.bin`, hub.tokens.alice, { method, redirect: 'manual' });
        assert.equal(r.status, 302, method);
        const location = new URL(r.headers.get('location')!);
        assert.equal(location.origin, s3.endpoint);
        assert.equal(location.pathname, `/${s3.bucket}/${keyOf(bigSha)}`);
        assert.equal(location.searchParams.get('X-Amz-Expires'), '3600');
        assert.equal(r.headers.get('x-repo-commit'), head);
        assert.equal(r.headers.get('x-linked-etag'), `"${bigSha}"`);
        assert.equal(r.headers.get('x-linked-size'), String(big.length));
        assert.equal(r.headers.get('etag'), `"${bigSha}"`);
        await r.arrayBuffer();
      }
      // PY then GETs the Location without Authorization (another host): the storage serves it.
      const r = await api(`${hub.url}/${repo}/resolve/main/weights/model.bin`, hub.tokens.alice, { redirect: 'manual' });
      const direct = await fetch(r.headers.get('location')!);
      assert.equal(direct.status, 200);
      assert.equal(direct.headers.get('content-disposition'), `inline; filename*=UTF-8''model.bin; filename="model.bin";`);
      assert.ok(Buffer.from(await direct.arrayBuffer()).equals(big));
    });

    test('downloadFile (JS) follows the redirect: size from storage, whole and ranged bytes from storage, no token sent to it', async () => {
      const from = s3.requests.length;
      const info = await fileDownloadInfo({ hubUrl: hub.url, accessToken: hub.tokens.alice, repo, path: 'weights/model.bin' });
      assert.equal(info?.size, big.length);
      const blob = await downloadFile({ hubUrl: hub.url, accessToken: hub.tokens.alice, repo, path: 'weights/model.bin' });
      assert.ok(blob);
      assert.equal(blob.size, big.length);
      assert.ok(Buffer.from(await blob.slice(5 * 1024 * 1024 - 10, 9 * 1024 * 1024 + 10).arrayBuffer()).equals(big.subarray(5 * 1024 * 1024 - 10, 9 * 1024 * 1024 + 10)));
      assert.ok(Buffer.from(await blob.arrayBuffer()).equals(big));
      const gets = s3.requests.slice(from).filter((q) => q.method === 'GET' && q.path === `/${s3.bucket}/${keyOf(bigSha)}`);
      assert.ok(gets.length >= 3, JSON.stringify(gets));
      assert.ok(gets.every((q) => q.query.includes('X-Amz-Signature') && !q.authorization), 'presigned, and the hub token stays with the hub');
      assert.ok(gets.some((q) => q.range === `bytes=${5 * 1024 * 1024 - 10}-${9 * 1024 * 1024 + 9}`), JSON.stringify(gets));
    });

    test('regular files and empty LFS files are served by the hub, not redirected', async () => {
      const empty = await uploadLfs(hub, hub.tokens.alice, repo, Buffer.alloc(0));
      assert.equal((await commitVia(hub, hub.tokens.alice, repo, [lfsOp('empty.bin', empty)])).status, 200);
      const r = await api(`${hub.url}/${repo}/resolve/main/empty.bin`, hub.tokens.alice, { redirect: 'manual', headers: { range: 'bytes=0-0' } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-range'), 'bytes */0');
      assert.equal((await fileDownloadInfo({ hubUrl: hub.url, accessToken: hub.tokens.alice, repo, path: 'empty.bin' }))?.size, 0);
      const attrs = await api(`${hub.url}/${repo}/resolve/main/.gitattributes`, hub.tokens.alice, { redirect: 'manual' });
      assert.equal(attrs.status, 200);
      assert.match(await attrs.text(), /\*\.bin filter=lfs/);
    });

    test('a missing file still answers EntryNotFound with X-Repo-Commit from the hub', async () => {
      const r = await api(`${hub.url}/${repo}/resolve/main/nope.bin`, hub.tokens.alice, { redirect: 'manual' });
      assert.equal(r.status, 404);
      assert.equal(r.headers.get('x-error-code'), 'EntryNotFound');
      assert.match(r.headers.get('x-repo-commit') ?? '', /^[0-9a-f]{40}$/);
    });

    test('git-lfs: clone gets the bytes from S3 through the hub; a push stores a new object in the bucket', async () => {
      const clone = path.join(work, 'clone');
      await git(work, ['clone', `${hub.url}/${repo}`, clone], hub.tokens.alice);
      assert.ok((await readFile(path.join(clone, 'weights', 'model.bin'))).equals(big));
      const pushed = weights(6 * 1024 * 1024 + 5);
      await writeFile(path.join(clone, 'pushed.bin'), pushed);
      await git(clone, ['add', 'pushed.bin']);
      await git(clone, ['commit', '-m', 'push an LFS file']);
      await git(clone, ['push', 'origin', 'main'], hub.tokens.alice);
      assert.ok((await s3.objectKeys()).includes(keyOf(sha256(pushed))));
      assert.deepEqual(await s3.pendingUploads(), []);
      const blob = await downloadFile({ hubUrl: hub.url, accessToken: hub.tokens.alice, repo, path: 'pushed.bin' });
      assert.ok(Buffer.from(await blob!.arrayBuffer()).equals(pushed));
    });

    test('an upload whose bytes do not match is refused and leaves nothing in the bucket', async () => {
      const data = weights(7 * 1024 * 1024);
      const oid = sha256(weights(10));
      const batch = await api(`${hub.url}/${repo}.git/info/lfs/objects/batch`, hub.tokens.alice, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.git-lfs+json', accept: 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ operation: 'upload', transfers: ['basic'], objects: [{ oid, size: data.length }] }),
      });
      const href = ((await batch.json()) as { objects: { actions: { upload: { href: string } } }[] }).objects[0]!.actions.upload.href;
      const put = await fetch(href, { method: 'PUT', body: new Uint8Array(data) });
      assert.equal(put.status, 422);
      assert.ok(!(await s3.objectKeys()).includes(keyOf(oid)));
      assert.deepEqual(await s3.pendingUploads(), []);
    });
  });
}

describe('hub on S3 with ORCHARD_S3_PRESIGN=false: the hub streams from the bucket', () => {
  let s3: S3Emulator;
  let hub: TestHub;
  before(async () => {
    s3 = await startS3Emulator();
    hub = await startTestHub({ env: { ...s3.env, ORCHARD_S3_PRESIGN: 'false', ORCHARD_S3_PREFIX: 'objects' } });
    await createRepoVia(hub, hub.tokens.alice, 'streamed');
  });
  after(async () => {
    await hub?.close();
    await s3?.close();
  });

  test('200 and 206 from the hub, bytes read from storage with the same range', async () => {
    const data = weights(3 * 1024 * 1024 + 1);
    const obj = await uploadLfs(hub, hub.tokens.alice, 'alice/streamed', data);
    assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/streamed', [lfsOp('w.bin', obj)])).status, 200);
    assert.ok((await s3.objectKeys('objects/')).includes(keyOf(obj.oid, 'objects/')));
    const whole = await api(`${hub.url}/alice/streamed/resolve/main/w.bin`, undefined, { redirect: 'manual' });
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('etag'), `"${obj.oid}"`);
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(data));
    const from = s3.requests.length;
    const part = await api(`${hub.url}/alice/streamed/resolve/main/w.bin`, undefined, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-199/${data.length}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(data.subarray(100, 200)));
    assert.ok(s3.requests.slice(from).some((q) => q.method === 'GET' && q.range === 'bytes=100-199'));
  });
});
