import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { mkdtemp, readdir, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FsBlobStore } from '../../src/storage/fs-blob-store.js';
import { blobStoreContract } from './blob-store-contract.js';

blobStoreContract('filesystem', async () => {
  const store = new FsBlobStore(await mkdtemp(path.join(os.tmpdir(), 'orchard-blobs-')));
  await store.init();
  return store;
});

// Large uploads go through worker threads when asked (ORCHARD_UPLOAD_WORKERS); the contract holds either way.
blobStoreContract('filesystem with 2 hashing workers', async () => {
  const store = new FsBlobStore(await mkdtemp(path.join(os.tmpdir(), 'orchard-blobs-')), { hashWorkers: 2 });
  await store.init();
  return store;
});

test('filesystem store: init removes temp files left by a crash', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'orchard-blobs-'));
  await mkdir(path.join(root, 'tmp'), { recursive: true });
  await writeFile(path.join(root, 'tmp', 'half-written'), 'partial');
  await new FsBlobStore(root).init();
  assert.deepEqual(await readdir(path.join(root, 'tmp')), []);
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
  assert.deepEqual(await readdir(path.join(root, 'tmp')), []);
  await store.put(oid, data.length, Readable.from([data]));
  assert.deepEqual(await readdir(path.join(root, 'tmp')), []);
});
