import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { mkdtemp, readdir, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { FsBlobStore } from '../../src/storage/fs-blob-store.js';
import { blobStoreContract } from './blob-store-contract.js';

/** Temp files are what a refused or interrupted upload could leave in the filesystem store. */
const roots = new WeakMap<BlobStore, string>();
/** The store's temp folder is per process (`tmp/{pid}`): several processes may share a data folder. */
const tempOf = (root: string): string => path.join(root, 'tmp', String(process.pid));
const leftovers = async (store: BlobStore): Promise<string[]> => readdir(tempOf(roots.get(store)!));

async function fsStore(opts: { hashWorkers?: number } = {}): Promise<FsBlobStore> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'orchard-blobs-'));
  const store = new FsBlobStore(root, opts);
  await store.init();
  roots.set(store, root);
  return store;
}

blobStoreContract('filesystem', () => fsStore(), { leftovers });

// Large uploads go through worker threads when asked (ORCHARD_UPLOAD_WORKERS); the contract holds either way.
blobStoreContract('filesystem with 2 hashing workers', () => fsStore({ hashWorkers: 2 }), { leftovers });

test('filesystem store: init removes temp files left by a crash', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'orchard-blobs-'));
  await mkdir(path.join(root, 'tmp'), { recursive: true });
  await writeFile(path.join(root, 'tmp', 'half-written'), 'partial');
  // A process that is gone (its folder) and one that is alive (the parent of this test process).
  const gone = spawnSync(process.execPath, ['-e', '']).pid!;
  for (const pid of [gone, process.ppid]) {
    await mkdir(path.join(root, 'tmp', String(pid)), { recursive: true });
    await writeFile(path.join(root, 'tmp', String(pid), 'upload'), 'partial');
  }
  await new FsBlobStore(root).init();
  assert.deepEqual((await readdir(path.join(root, 'tmp'))).sort(), [String(process.pid), String(process.ppid)].sort());
  assert.deepEqual(await readdir(path.join(root, 'tmp', String(process.ppid))), ['upload'], 'a live process keeps its upload');
  assert.deepEqual(await readdir(tempOf(root)), []);
});

test('filesystem store: refused and interrupted large uploads leave no temp file', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'orchard-blobs-'));
  const store = new FsBlobStore(root, { hashWorkers: 1 });
  await store.init();
  const data = randomBytes(16 * 1024 * 1024);
  const oid = createHash('sha256').update(data).digest('hex');
  await assert.rejects(store.put(oid, data.length - 1, Readable.from([data])));
  const failing = Readable.from((async function* () {
    yield data.subarray(0, 9 * 1024 * 1024);
    throw new Error('connection reset');
  })());
  await assert.rejects(store.put(oid, data.length, failing), /connection reset/);
  assert.deepEqual(await readdir(tempOf(root)), []);
  await store.put(oid, data.length, Readable.from([data]));
  assert.deepEqual(await readdir(tempOf(root)), []);
});
