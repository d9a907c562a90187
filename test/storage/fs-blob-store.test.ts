import assert from 'node:assert/strict';
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

test('filesystem store: init removes temp files left by a crash', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'orchard-blobs-'));
  await mkdir(path.join(root, 'tmp'), { recursive: true });
  await writeFile(path.join(root, 'tmp', 'half-written'), 'partial');
  await new FsBlobStore(root).init();
  assert.deepEqual(await readdir(path.join(root, 'tmp')), []);
});
