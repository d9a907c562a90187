/**
 * End to end: the real npm client `@huggingface/hub` against `orchard serve`
 * running as a child process on an ephemeral port, with a temp data folder.
 * Every call below goes through the client's public API, exactly as a user
 * would make it with `hubUrl` pointed at the hub.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readlink, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  countCommits,
  createBranch,
  createRepo,
  datasetInfo,
  deleteFile,
  deleteRepo,
  downloadFile,
  fileDownloadInfo,
  fileExists,
  HubApiError,
  listCommits,
  listDatasets,
  listFiles,
  listModels,
  modelInfo,
  pathsInfo,
  repoExists,
  snapshotDownload,
  uploadFile,
  uploadFiles,
  whoAmI,
} from '@huggingface/hub';
import { startSpawnedTestHub, type SpawnedTestHub, type Tokens } from './helpers/hub.js';

const MODEL = 'alice/e2e-js-model';
const DATASET = 'alice/e2e-js-dataset';
const PRIVATE = 'alice/e2e-js-secret';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** The git blob SHA-1, which the hub uses as the ETag and `oid` of regular files (spec 2.2). */
const gitBlobSha1 = (b: Uint8Array): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

async function bytesOf(blob: Blob | null): Promise<Buffer> {
  assert.ok(blob, 'expected a blob, got null');
  return Buffer.from(await blob.arrayBuffer());
}

/** Asserts that the client threw its HubApiError with this HTTP status. */
async function rejectsWithStatus(work: Promise<unknown>, status: number): Promise<void> {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof HubApiError, `expected a HubApiError, got ${String(err)}`);
    assert.equal(err.statusCode, status, err.message);
    return true;
  });
}

interface Seen {
  method: string;
  url: string;
  status: number;
}

/** A fetch that records what the client sent, to check which protocol path it took. */
function recordingFetch(log: Seen[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    log.push({ method: init?.method ?? 'GET', url, status: res.status });
    return res;
  };
}

describe('@huggingface/hub (npm) against orchard serve', () => {
  let cacheDir: string;
  let hub: SpawnedTestHub;
  let tokens: Tokens;
  let hubUrl: string;

  // Shared between the scenarios, which run in order.
  const small = Buffer.from('hello from the JS client\n');
  const readme = '---\nlicense: mit\ntags:\n- a\n---\n\n# E2E model\n\nA model card.\n';
  const big = randomBytes(12 * 1024 * 1024);
  // No NUL in the sample the client sends, so that only the size rule (>= 10 MiB)
  // can make the hub choose LFS: `.dat` matches no default `.gitattributes` rule.
  for (let i = 0; i < 512; i++) if (big[i] === 0) big[i] = 1;
  const bigSha = sha256(big);
  let uploadCommit = '';

  /**
   * The ETag the JS client reports for an LFS file. It follows resolve's redirect and reads X-Linked-ETag,
   * else ETag, of the final answer: on the folder store that is the hub's (the sha256); in an S3 pass it is
   * the bucket's (S3 sends its own MD5-based ETag and no X-Linked-ETag), so there the hub's own 302 is checked:
   * X-Linked-Etag is the sha256, which is what the Python client reads.
   */
  async function assertLfsEtag(info: { etag: string } | null | undefined, file: string, revision: string, sha: string): Promise<void> {
    assert.ok(info);
    if (!hub.storage.s3) {
      assert.equal(info.etag, `"${sha}"`);
      return;
    }
    assert.match(info.etag, /^"[^"]+"$/);
    const r = await fetch(`${hubUrl}/${MODEL}/resolve/${encodeURIComponent(revision)}/${file}`, { method: 'HEAD', redirect: 'manual', headers: { authorization: `Bearer ${tokens.alice}` } });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('x-linked-etag'), `"${sha}"`);
  }

  before(async () => {
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-e2e-js-cache-'));
    hub = await startSpawnedTestHub('orchard-e2e-js-');
    tokens = hub.tokens;
    hubUrl = hub.url;
  });

  after(async () => {
    await hub?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  test('1. whoAmI returns alice (and rejects an unknown token)', async () => {
    const me = await whoAmI({ hubUrl, accessToken: tokens.alice });
    assert.equal(me.type, 'user');
    assert.equal(me.name, 'alice');
    assert.equal(me.auth.type, 'access_token');
    assert.equal(me.auth.accessToken?.role, 'write');
    assert.ok(me.auth.accessToken?.createdAt instanceof Date && !Number.isNaN(me.auth.accessToken.createdAt.getTime()));

    const viaCredentials = await whoAmI({ hubUrl, credentials: { accessToken: tokens.bob } });
    assert.equal(viaCredentials.name, 'bob');

    const readOnly = await whoAmI({ hubUrl, accessToken: tokens.aliceRead });
    assert.equal(readOnly.name, 'alice');
    assert.equal(readOnly.auth.accessToken?.role, 'read');

    await rejectsWithStatus(whoAmI({ hubUrl, accessToken: `hf_${'x'.repeat(34)}` }), 401);
  });

  test('2. createRepo for a model and a dataset; creating again is a 409', async () => {
    const model = await createRepo({ hubUrl, accessToken: tokens.alice, repo: MODEL });
    assert.equal(model.repoUrl, `${hubUrl}/${MODEL}`);
    assert.equal(typeof model.id, 'string');
    assert.ok(model.id.length > 0);

    const dataset = await createRepo({ hubUrl, accessToken: tokens.alice, repo: { type: 'dataset', name: DATASET } });
    assert.equal(dataset.repoUrl, `${hubUrl}/datasets/${DATASET}`);
    assert.notEqual(dataset.id, model.id);

    await rejectsWithStatus(createRepo({ hubUrl, accessToken: tokens.alice, repo: MODEL }), 409);
    await rejectsWithStatus(createRepo({ hubUrl, accessToken: tokens.alice, repo: `datasets/${DATASET}` }), 409);
    // bob may not create in alice's namespace, nor may a read-only token.
    await rejectsWithStatus(createRepo({ hubUrl, accessToken: tokens.bob, repo: 'alice/not-bobs' }), 403);
    await rejectsWithStatus(createRepo({ hubUrl, accessToken: tokens.aliceRead, repo: 'alice/read-only' }), 403);

    assert.equal(await repoExists({ hubUrl, accessToken: tokens.alice, repo: MODEL }), true);
    assert.equal(await repoExists({ hubUrl, accessToken: tokens.alice, repo: { type: 'dataset', name: DATASET } }), true);
    // The same name is free in the other repo type.
    assert.equal(await repoExists({ hubUrl, accessToken: tokens.alice, repo: { type: 'dataset', name: MODEL } }), false);

    const info = await datasetInfo({ hubUrl, accessToken: tokens.alice, name: DATASET });
    assert.equal(info.name, DATASET);
    assert.equal(info.id, dataset.id);
    assert.equal(info.private, false);
  });

  test('3. uploadFiles: text, README with metadata, and a 12 MiB file through LFS', async () => {
    const log: Seen[] = [];
    const out = await uploadFiles({
      hubUrl,
      accessToken: tokens.alice,
      repo: MODEL,
      commitTitle: 'Upload three files',
      fetch: recordingFetch(log),
      files: [
        { path: 'hello.txt', content: new Blob([small]) },
        { path: 'README.md', content: new Blob([readme]) },
        { path: 'weights/model.dat', content: new Blob([big]) },
      ],
    });
    assert.ok(out, 'uploadFiles returned nothing');
    assert.match(out.commit.oid, /^[0-9a-f]{40}$/);
    assert.equal(out.commit.url, `${hubUrl}/${MODEL}/commit/${out.commit.oid}`);
    uploadCommit = out.commit.oid;

    // The wire path: preupload, LFS batch, one PUT of the big object only, commit.
    const paths = log.map((s) => `${s.method} ${new URL(s.url).pathname}`);
    assert.ok(paths.includes(`POST /api/models/${MODEL}/preupload/main`), paths.join('\n'));
    assert.ok(paths.includes(`POST /${MODEL}.git/info/lfs/objects/batch`), paths.join('\n'));
    const puts = log.filter((s) => s.method === 'PUT');
    assert.equal(puts.length, 1, paths.join('\n'));
    assert.equal(new URL(puts[0]!.url).pathname, `/${MODEL}.git/info/lfs/objects/${bigSha}`);
    assert.equal(puts[0]!.status, 200);
    assert.ok(paths.includes(`POST /api/models/${MODEL}/commit/main`), paths.join('\n'));
    assert.ok(log.every((s) => s.status < 300), JSON.stringify(log));

    const infos = await pathsInfo({ hubUrl, accessToken: tokens.alice, repo: MODEL, paths: ['hello.txt', 'README.md', 'weights/model.dat'] });
    const byPath = new Map(infos.map((i) => [i.path, i]));
    assert.equal(byPath.size, 3);
    const bigInfo = byPath.get('weights/model.dat')!;
    assert.equal(bigInfo.type, 'file');
    assert.equal(bigInfo.size, big.length);
    assert.deepEqual(bigInfo.lfs && { oid: bigInfo.lfs.oid, size: bigInfo.lfs.size }, { oid: bigSha, size: big.length });
    assert.ok(bigInfo.lfs!.pointerSize > 100 && bigInfo.lfs!.pointerSize < 200, `pointerSize ${bigInfo.lfs!.pointerSize}`);
    const smallInfo = byPath.get('hello.txt')!;
    assert.equal(smallInfo.lfs, undefined);
    assert.equal(smallInfo.size, small.length);
    assert.equal(smallInfo.oid, gitBlobSha1(small));
    assert.equal(byPath.get('README.md')!.lfs, undefined);

    // The hub records the size-based LFS choice in .gitattributes (spec 6.3).
    const attributes = await (await downloadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: '.gitattributes' }))!.text();
    assert.match(attributes, /^weights\/model\.dat filter=lfs diff=lfs merge=lfs -text$/m);

    // Datasets live under the `datasets/` prefix, LFS included; `*.parquet` is an LFS rule of
    // the default .gitattributes, so even a small file goes through LFS.
    const parquet = Buffer.concat([Buffer.from('PAR1'), randomBytes(2048), Buffer.from('PAR1')]);
    const dsLog: Seen[] = [];
    const dsOut = await uploadFile({
      hubUrl,
      accessToken: tokens.alice,
      repo: { type: 'dataset', name: DATASET },
      file: { path: 'data/train.parquet', content: new Blob([parquet]) },
      fetch: recordingFetch(dsLog),
    });
    assert.ok(dsOut);
    assert.equal(dsOut.commit.url, `${hubUrl}/datasets/${DATASET}/commit/${dsOut.commit.oid}`);
    assert.deepEqual(
      dsLog.filter((s) => s.method === 'PUT').map((s) => new URL(s.url).pathname),
      [`/datasets/${DATASET}.git/info/lfs/objects/${sha256(parquet)}`],
    );
    const [dsInfo] = await pathsInfo({ hubUrl, accessToken: tokens.alice, repo: { type: 'dataset', name: DATASET }, paths: ['data/train.parquet'] });
    assert.equal(dsInfo?.lfs?.oid, sha256(parquet));
    const dsBytes = await bytesOf(await downloadFile({ hubUrl, accessToken: tokens.alice, repo: `datasets/${DATASET}`, path: 'data/train.parquet' }));
    assert.ok(dsBytes.equals(parquet));
    // The model repo does not see the dataset's file.
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'data/train.parquet' }), false);
  });

  test('4. listFiles, modelInfo (sha, cardData, tags) and listModels search', async () => {
    const entries = await collect(listFiles({ hubUrl, accessToken: tokens.alice, repo: MODEL, recursive: true }));
    const types = Object.fromEntries(entries.map((e) => [e.path, e.type]));
    assert.deepEqual(types, {
      '.gitattributes': 'file',
      'README.md': 'file',
      'hello.txt': 'file',
      weights: 'directory',
      'weights/model.dat': 'file',
    });
    const bigEntry = entries.find((e) => e.path === 'weights/model.dat')!;
    assert.equal(bigEntry.size, big.length);
    assert.equal(bigEntry.lfs?.oid, bigSha);

    // Not recursive: the folder is listed, not its content.
    const top = await collect(listFiles({ hubUrl, accessToken: tokens.alice, repo: MODEL }));
    assert.deepEqual(top.map((e) => e.path).sort(), ['.gitattributes', 'README.md', 'hello.txt', 'weights']);
    const sub = await collect(listFiles({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'weights' }));
    assert.deepEqual(sub.map((e) => e.path), ['weights/model.dat']);

    const info = await modelInfo({
      hubUrl,
      accessToken: tokens.alice,
      name: MODEL,
      additionalFields: ['sha', 'cardData', 'tags', 'filePaths', 'author'],
    });
    assert.equal(info.name, MODEL);
    assert.equal(info.private, false);
    assert.equal(info.gated, false);
    assert.equal(info.sha, uploadCommit);
    assert.equal(info.author, 'alice');
    assert.ok(!Number.isNaN(info.updatedAt.getTime()), 'lastModified must parse as a date');
    assert.deepEqual(info.cardData, { license: 'mit', tags: ['a'] });
    assert.ok(info.tags.includes('a'), `tags: ${info.tags.join(',')}`);
    assert.ok(info.tags.includes('license:mit'), `tags: ${info.tags.join(',')}`);
    assert.deepEqual([...info.filePaths].sort(), ['.gitattributes', 'README.md', 'hello.txt', 'weights/model.dat']);

    // A revision by commit id answers for that commit.
    const atCommit = await modelInfo({ hubUrl, accessToken: tokens.alice, name: MODEL, revision: uploadCommit, additionalFields: ['sha'] });
    assert.equal(atCommit.sha, uploadCommit);
    await rejectsWithStatus(modelInfo({ hubUrl, accessToken: tokens.alice, name: MODEL, revision: 'no-such-branch' }), 404);

    const found = await collect(listModels({ hubUrl, accessToken: tokens.alice, search: { query: 'e2e-js-model' }, additionalFields: ['sha', 'tags'] }));
    assert.deepEqual(found.map((m) => m.name), [MODEL]);
    assert.equal(found[0]!.id, info.id);
    assert.equal(found[0]!.sha, uploadCommit);
    assert.ok(found[0]!.tags.includes('license:mit'));
    const byTag = await collect(listModels({ hubUrl, search: { tags: ['license:mit'] } }));
    assert.deepEqual(byTag.map((m) => m.name), [MODEL]);
    const byOwner = await collect(listModels({ hubUrl, search: { owner: 'bob' } }));
    assert.deepEqual(byOwner, []);
    assert.deepEqual(await collect(listModels({ hubUrl, search: { query: 'nothing-is-called-this' } })), []);
    // The dataset is not a model.
    const datasets = await collect(listDatasets({ hubUrl, search: { query: 'e2e-js' } }));
    assert.deepEqual(datasets.map((d) => d.name), [DATASET]);
  });

  test('5. downloadFile and fileDownloadInfo return exactly what was uploaded', async () => {
    const smallBlob = await downloadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'hello.txt' });
    assert.equal(sha256(await bytesOf(smallBlob)), sha256(small));

    const bigBlob = await downloadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'weights/model.dat' });
    assert.ok(bigBlob);
    assert.equal(bigBlob.size, big.length);
    const bigBytes = await bytesOf(bigBlob);
    assert.equal(bigBytes.length, big.length);
    assert.equal(sha256(bigBytes), bigSha);

    // Anonymous access to a public repo, and by commit id.
    const anon = await downloadFile({ hubUrl, repo: MODEL, path: 'hello.txt', revision: uploadCommit });
    assert.ok((await bytesOf(anon)).equals(small));

    const smallInfo = await fileDownloadInfo({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'hello.txt' });
    assert.ok(smallInfo);
    assert.equal(smallInfo.size, small.length);
    assert.equal(smallInfo.etag, `"${gitBlobSha1(small)}"`);
    assert.equal(smallInfo.xet, undefined);

    const bigInfo = await fileDownloadInfo({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'weights/model.dat' });
    assert.ok(bigInfo);
    assert.equal(bigInfo.size, big.length);
    await assertLfsEtag(bigInfo, 'weights/model.dat', 'main', bigSha);
    assert.equal(bigInfo.xet, undefined);
    assert.equal(new URL(bigInfo.url).origin, new URL(hubUrl).origin);

    // Ranges: the client's blob slices ask for `Range: bytes=a-b` and must get exactly those bytes.
    const log: Seen[] = [];
    const ranged = await downloadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'weights/model.dat', fetch: recordingFetch(log) });
    assert.ok(ranged);
    const start = 5 * 1024 * 1024 + 7;
    const slice = Buffer.from(await ranged.slice(start, start + 4096).arrayBuffer());
    assert.ok(slice.equals(big.subarray(start, start + 4096)), 'middle slice differs');
    const tail = Buffer.from(await ranged.slice(big.length - 10).arrayBuffer());
    assert.ok(tail.equals(big.subarray(big.length - 10)), 'tail slice differs');
    assert.ok(log.length >= 3 && log.every((s) => s.status === 206), JSON.stringify(log));
    const smallRanged = await downloadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'hello.txt' });
    assert.equal(await smallRanged!.slice(6, 10).text(), small.subarray(6, 10).toString());

    // raw gives the LFS pointer, not the content.
    const pointer = await (await downloadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'weights/model.dat', raw: true }))!.text();
    assert.equal(pointer, `version https://git-lfs.github.com/spec/v1\noid sha256:${bigSha}\nsize ${big.length}\n`);

    // snapshotDownload: info `sha`, recursive tree, paths-info with `lastCommit`, then the
    // files, into the cache layout shared with PY (spec 2.8).
    const snapshot = await snapshotDownload({ hubUrl, accessToken: tokens.alice, repo: MODEL, cacheDir });
    const storage = path.join(cacheDir, `models--${MODEL.replace('/', '--')}`);
    assert.equal(snapshot, path.join(storage, 'snapshots', uploadCommit));
    assert.equal(await readFile(path.join(storage, 'refs', 'main'), 'utf8'), uploadCommit);
    assert.ok((await readFile(path.join(snapshot, 'hello.txt'))).equals(small));
    assert.equal(await readFile(path.join(snapshot, 'README.md'), 'utf8'), readme);
    assert.equal(sha256(await readFile(path.join(snapshot, 'weights', 'model.dat'))), bigSha);
    assert.equal(path.basename(await readlink(path.join(snapshot, 'weights', 'model.dat'))), bigSha);
    assert.deepEqual(
      (await readdir(path.join(storage, 'blobs'))).sort(),
      [bigSha, gitBlobSha1(small), gitBlobSha1(Buffer.from(readme)), gitBlobSha1(await readFile(path.join(snapshot, '.gitattributes')))].sort(),
    );

    // A missing file is null (EntryNotFound), a missing revision an error.
    assert.equal(await downloadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'nope.txt' }), null);
    await rejectsWithStatus(downloadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'hello.txt', revision: 'no-such-branch' }), 404);
  });

  test('6. fileExists, pathsInfo expand, commits, and a branch', async () => {
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'hello.txt' }), true);
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'weights/model.dat' }), true);
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'nope.txt' }), false);
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'weights' }), false);

    const expanded = await pathsInfo({ hubUrl, accessToken: tokens.alice, repo: MODEL, paths: ['hello.txt', 'weights', 'missing.txt'], expand: true });
    assert.deepEqual(expanded.map((e) => e.path).sort(), ['hello.txt', 'weights']);
    for (const e of expanded) {
      assert.equal(e.lastCommit?.id, uploadCommit, e.path);
      assert.equal(e.lastCommit?.title, 'Upload three files');
      assert.ok(e.lastCommit.date instanceof Date && !Number.isNaN(e.lastCommit.date.getTime()));
    }
    assert.equal(expanded.find((e) => e.path === 'weights')!.type, 'directory');
    const plain = await pathsInfo({ hubUrl, accessToken: tokens.alice, repo: MODEL, paths: ['hello.txt'] });
    assert.equal(plain[0]!.lastCommit, undefined);

    const commits = await collect(listCommits({ hubUrl, accessToken: tokens.alice, repo: MODEL }));
    assert.deepEqual(commits.map((c) => c.title), ['Upload three files', 'initial commit']);
    assert.equal(commits[0]!.oid, uploadCommit);
    assert.equal(commits[0]!.authors[0]?.username, 'alice');
    assert.ok(commits[0]!.date.getTime() >= commits[1]!.date.getTime());
    assert.equal(await countCommits({ hubUrl, accessToken: tokens.alice, repo: MODEL }), 2);
    // Paging through `Link` with a page size of one gives the same list.
    const paged = await collect(listCommits({ hubUrl, accessToken: tokens.alice, repo: MODEL, batchSize: 1 }));
    assert.deepEqual(paged.map((c) => c.oid), commits.map((c) => c.oid));

    await createBranch({ hubUrl, accessToken: tokens.alice, repo: MODEL, branch: 'dev' });
    await rejectsWithStatus(createBranch({ hubUrl, accessToken: tokens.alice, repo: MODEL, branch: 'dev' }), 409);
    // A path with a space and non-ASCII characters: the client puts it in URLs as it is.
    const devPath = 'dev docs/naïve file.txt';
    const onDev = Buffer.from('only on dev: ünïcödé\n');
    const devLog: Seen[] = [];
    const out = await uploadFiles({
      hubUrl,
      accessToken: tokens.alice,
      repo: MODEL,
      branch: 'dev',
      fetch: recordingFetch(devLog),
      files: [
        { path: devPath, content: new Blob([onDev]) },
        // The same bytes as the big file: the object is already stored for this repo, so no PUT.
        { path: 'weights/copy.dat', content: new Blob([big]) },
        { path: 'empty.txt', content: new Blob([]) },
      ],
    });
    assert.ok(out);
    assert.deepEqual(devLog.filter((s) => s.method === 'PUT'), []);
    assert.ok((await bytesOf(await downloadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: devPath, revision: 'dev' }))).equals(onDev));
    const copyInfo = await fileDownloadInfo({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'weights/copy.dat', revision: 'dev' });
    await assertLfsEtag(copyInfo, 'weights/copy.dat', 'dev', bigSha);
    assert.equal(copyInfo?.size, big.length);
    // An empty file: `bytes=0-0` cannot be satisfied, yet the client must learn its size (spec 2.4).
    const emptyInfo = await fileDownloadInfo({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'empty.txt', revision: 'dev' });
    assert.equal(emptyInfo?.size, 0);
    assert.equal(emptyInfo?.etag, `"${gitBlobSha1(Buffer.alloc(0))}"`);
    assert.equal((await bytesOf(await downloadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'empty.txt', revision: 'dev' }))).length, 0);
    const devDocs = await collect(listFiles({ hubUrl, accessToken: tokens.alice, repo: MODEL, revision: 'dev', path: 'dev docs' }));
    assert.deepEqual(devDocs.map((e) => [e.path, e.size]), [[devPath, onDev.length]]);
    // The big file is on dev too (the branch started at main), and main did not move.
    const devBig = await fileDownloadInfo({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'weights/model.dat', revision: 'dev' });
    await assertLfsEtag(devBig, 'weights/model.dat', 'dev', bigSha);
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: devPath }), false);
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: devPath, revision: 'dev' }), true);
    assert.equal(await countCommits({ hubUrl, accessToken: tokens.alice, repo: MODEL, revision: 'dev' }), 3);
    const devCommits = await collect(listCommits({ hubUrl, accessToken: tokens.alice, repo: MODEL, revision: 'dev' }));
    assert.equal(devCommits[0]!.oid, out.commit.oid);
    assert.equal(devCommits[1]!.oid, uploadCommit);
    const devInfo = await modelInfo({ hubUrl, accessToken: tokens.alice, name: MODEL, revision: 'dev', additionalFields: ['sha'] });
    assert.equal(devInfo.sha, out.commit.oid);
    const mainInfo = await modelInfo({ hubUrl, accessToken: tokens.alice, name: MODEL, additionalFields: ['sha'] });
    assert.equal(mainInfo.sha, uploadCommit);

    // A commit whose parentCommit is no longer the head of the branch is refused (412) and writes nothing.
    await rejectsWithStatus(
      uploadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, branch: 'dev', parentCommit: uploadCommit, file: { path: 'stale.txt', content: new Blob(['stale']) } }),
      412,
    );
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'stale.txt', revision: 'dev' }), false);
    // A read-only token cannot commit.
    await rejectsWithStatus(uploadFile({ hubUrl, accessToken: tokens.aliceRead, repo: MODEL, file: { path: 'ro.txt', content: new Blob(['ro']) } }), 403);
  });

  test('7. deleteFile, then deleteRepo', async () => {
    const out = await deleteFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'hello.txt' });
    assert.ok(out);
    assert.match(out.commit.oid, /^[0-9a-f]{40}$/);
    const paths = (await collect(listFiles({ hubUrl, accessToken: tokens.alice, repo: MODEL, recursive: true }))).map((e) => e.path);
    assert.ok(!paths.includes('hello.txt'), paths.join(','));
    assert.ok(paths.includes('weights/model.dat'), paths.join(','));
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'hello.txt' }), false);
    assert.equal(await downloadFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'hello.txt' }), null);
    // Still there at the older commit and on dev.
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'hello.txt', revision: uploadCommit }), true);
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'hello.txt', revision: 'dev' }), true);
    // Deleting it again is an error (EntryNotFound).
    await rejectsWithStatus(deleteFile({ hubUrl, accessToken: tokens.alice, repo: MODEL, path: 'hello.txt' }), 404);

    // Only an admin of the namespace may delete the repo.
    await rejectsWithStatus(deleteRepo({ hubUrl, accessToken: tokens.bob, repo: MODEL }), 403);
    await deleteRepo({ hubUrl, accessToken: tokens.alice, repo: MODEL });
    assert.equal(await repoExists({ hubUrl, accessToken: tokens.alice, repo: MODEL }), false);
    await rejectsWithStatus(modelInfo({ hubUrl, accessToken: tokens.alice, name: MODEL }), 404);
    await rejectsWithStatus(deleteRepo({ hubUrl, accessToken: tokens.alice, repo: MODEL }), 404);

    await deleteRepo({ hubUrl, accessToken: tokens.alice, repo: { type: 'dataset', name: DATASET } });
    assert.equal(await repoExists({ hubUrl, accessToken: tokens.alice, repo: { type: 'dataset', name: DATASET } }), false);

    // The name is free again.
    await createRepo({ hubUrl, accessToken: tokens.alice, repo: MODEL });
    const fresh = await collect(listFiles({ hubUrl, accessToken: tokens.alice, repo: MODEL, recursive: true }));
    assert.deepEqual(fresh.map((e) => e.path), ['.gitattributes']);
  });

  test('8. a private repo is invisible to bob and to anonymous callers', async () => {
    await createRepo({ hubUrl, accessToken: tokens.alice, repo: PRIVATE, private: true });
    const secret = Buffer.from('top secret\n');
    await uploadFile({ hubUrl, accessToken: tokens.alice, repo: PRIVATE, file: { path: 'secret.txt', content: new Blob([secret]) } });

    // alice sees it.
    const info = await modelInfo({ hubUrl, accessToken: tokens.alice, name: PRIVATE });
    assert.equal(info.private, true);
    assert.ok((await bytesOf(await downloadFile({ hubUrl, accessToken: tokens.alice, repo: PRIVATE, path: 'secret.txt' }))).equals(secret));
    assert.ok((await bytesOf(await downloadFile({ hubUrl, accessToken: tokens.aliceRead, repo: PRIVATE, path: 'secret.txt' }))).equals(secret));
    const mine = await collect(listModels({ hubUrl, accessToken: tokens.alice, search: { query: 'e2e-js-secret' } }));
    assert.deepEqual(mine.map((m) => [m.name, m.private]), [[PRIVATE, true]]);

    // bob gets "not found", exactly as for a repo that does not exist.
    await rejectsWithStatus(modelInfo({ hubUrl, accessToken: tokens.bob, name: PRIVATE }), 404);
    await rejectsWithStatus(downloadFile({ hubUrl, accessToken: tokens.bob, repo: PRIVATE, path: 'secret.txt' }), 404);
    await rejectsWithStatus(fileDownloadInfo({ hubUrl, accessToken: tokens.bob, repo: PRIVATE, path: 'secret.txt' }), 404);
    await rejectsWithStatus(collect(listFiles({ hubUrl, accessToken: tokens.bob, repo: PRIVATE })), 404);
    await rejectsWithStatus(pathsInfo({ hubUrl, accessToken: tokens.bob, repo: PRIVATE, paths: ['secret.txt'] }), 404);
    await rejectsWithStatus(collect(listCommits({ hubUrl, accessToken: tokens.bob, repo: PRIVATE })), 404);
    assert.equal(await repoExists({ hubUrl, accessToken: tokens.bob, repo: PRIVATE }), false);
    // bob cannot write to it either (404, not 403: the name must not leak).
    await rejectsWithStatus(uploadFile({ hubUrl, accessToken: tokens.bob, repo: PRIVATE, file: { path: 'x.txt', content: new Blob(['x']) } }), 404);
    const bobs = await collect(listModels({ hubUrl, accessToken: tokens.bob, search: { query: 'e2e-js' } }));
    assert.deepEqual(bobs.map((m) => m.name), [MODEL]);

    // Anonymous callers get 401 (so that clients ask for a token) and no listing.
    await rejectsWithStatus(modelInfo({ hubUrl, name: PRIVATE }), 401);
    await rejectsWithStatus(downloadFile({ hubUrl, repo: PRIVATE, path: 'secret.txt' }), 401);
    assert.equal(await repoExists({ hubUrl, repo: PRIVATE }), false);
    const anon = await collect(listModels({ hubUrl, search: { query: 'e2e-js' } }));
    assert.deepEqual(anon.map((m) => m.name), [MODEL]);
    // fileExists answers false rather than revealing the file.
    assert.equal(await fileExists({ hubUrl, accessToken: tokens.bob, repo: PRIVATE, path: 'secret.txt' }), false);
  });
});
