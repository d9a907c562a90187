import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { HubError } from '../../src/core/errors.js';
import type { BlobStore } from '../../src/storage/blob-store.js';

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function chunked(b: Buffer, size: number): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
  })());
}

export interface ContractOptions {
  /**
   * What refused or interrupted uploads may have left inside the store (temp
   * files, pending multipart uploads); the suite expects none after each.
   */
  leftovers(store: BlobStore): Promise<string[]>;
}

/**
 * The behaviour every BlobStore must have. Each implementation's test file
 * calls this with a factory; capabilities an implementation lacks are not
 * skipped silently.
 */
export function blobStoreContract(name: string, make: () => Promise<BlobStore>, opts: ContractOptions): void {
  const refused = (e: unknown): boolean => e instanceof HubError && e.code === 'UnprocessableEntity';
  const nothingLeft = async (store: BlobStore): Promise<void> => assert.deepEqual(await opts.leftovers(store), []);

  describe(`BlobStore contract: ${name}`, () => {
    test('put then stat and read whole and ranged', async () => {
      const store = await make();
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const oid = sha(data);
      assert.equal(await store.stat(oid), undefined);
      await store.put(oid, data.length, chunked(data, 65536));
      assert.deepEqual(await store.stat(oid), { size: data.length });
      assert.ok((await readAll(await store.read(oid))).equals(data));
      assert.ok((await readAll(await store.read(oid, { start: 100, end: 2_000_000 }))).equals(data.subarray(100, 2_000_001)));
      assert.ok((await readAll(await store.read(oid, { start: data.length - 1, end: data.length - 1 }))).equals(data.subarray(data.length - 1)));
    });

    test('empty object', async () => {
      const store = await make();
      const oid = sha(Buffer.alloc(0));
      await store.put(oid, 0, Readable.from([]));
      assert.deepEqual(await store.stat(oid), { size: 0 });
      assert.equal((await readAll(await store.read(oid))).length, 0);
    });

    test('wrong content is refused and leaves nothing', async () => {
      const store = await make();
      const data = randomBytes(100_000);
      const oid = sha(randomBytes(10));
      await assert.rejects(store.put(oid, data.length, chunked(data, 1000)), (e: unknown) => e instanceof HubError && e.code === 'UnprocessableEntity');
      assert.equal(await store.stat(oid), undefined);
      await nothingLeft(store);
    });

    test('wrong size (short and long) is refused and leaves nothing', async () => {
      const store = await make();
      const data = randomBytes(50_000);
      const oid = sha(data);
      await assert.rejects(store.put(oid, data.length + 1, chunked(data, 1000)), (e: unknown) => e instanceof HubError && e.code === 'UnprocessableEntity');
      await assert.rejects(store.put(oid, data.length - 1, chunked(data, 1000)), (e: unknown) => e instanceof HubError && e.code === 'UnprocessableEntity');
      assert.equal(await store.stat(oid), undefined);
      await nothingLeft(store);
    });

    test('a source that fails midway leaves nothing', async () => {
      const store = await make();
      const data = randomBytes(200_000);
      const oid = sha(data);
      const failing = Readable.from((async function* () {
        yield data.subarray(0, 100_000);
        throw new Error('connection reset');
      })());
      await assert.rejects(store.put(oid, data.length, failing), /connection reset/);
      assert.equal(await store.stat(oid), undefined);
      await nothingLeft(store);
    });

    test('large objects: concurrent puts, and wrong, long, short or failing ones leave nothing', async () => {
      // Past the sizes where an implementation may switch strategy (worker threads, multipart uploads).
      const store = await make();
      const big = Array.from({ length: 5 }, (_, i) => randomBytes(12 * 1024 * 1024 + i * 4099));
      await Promise.all(big.map((b) => store.put(sha(b), b.length, chunked(b, 65536 + 7))));
      for (const b of big) assert.ok((await readAll(await store.read(sha(b)))).equals(b));
      const data = randomBytes(20 * 1024 * 1024);
      const oid = sha(data);
      await assert.rejects(store.put(sha(randomBytes(10)), data.length, chunked(data, 65536)), refused);
      await assert.rejects(store.put(oid, data.length - 1, chunked(data, 65536)), refused);
      await assert.rejects(store.put(oid, data.length + 1, chunked(data, 65536)), refused);
      const failing = Readable.from((async function* () {
        yield data.subarray(0, 10 * 1024 * 1024);
        throw new Error('connection reset');
      })());
      await assert.rejects(store.put(oid, data.length, failing), /connection reset/);
      assert.equal(await store.stat(oid), undefined);
      await nothingLeft(store);
      await store.put(oid, data.length, chunked(data, 1 << 20));
      assert.ok((await readAll(await store.read(oid, { start: 5, end: data.length - 1 }))).equals(data.subarray(5)));
    });

    test('a large object in many pieces reads back whole and at every edge', async () => {
      // 29 MiB + 5: more than two parts at every part size a store may use (S3: 5 or 8 MiB).
      const store = await make();
      const data = randomBytes(29 * 1024 * 1024 + 5);
      const oid = sha(data);
      await store.put(oid, data.length, chunked(data, 1 << 20));
      assert.deepEqual(await store.stat(oid), { size: data.length });
      assert.ok((await readAll(await store.read(oid))).equals(data));
      const last = data.length - 1;
      const edges: [number, number][] = [[0, 0], [0, 1], [last, last], [last - 1, last], [0, last]];
      // Both sides of every MiB boundary from 4 to 24 MiB cover the part boundaries of 4, 5 and 8 MiB parts.
      for (const mib of [4, 5, 8, 10, 15, 16, 24]) {
        const b = mib * 1024 * 1024;
        edges.push([b - 1, b], [b - 1, b - 1], [b, b], [b - 3, b + 2]);
      }
      for (const [start, end] of edges) {
        const got = await readAll(await store.read(oid, { start, end }));
        assert.ok(got.equals(data.subarray(start, end + 1)), `range ${start}-${end}`);
      }
      await nothingLeft(store);
    });

    test('concurrent puts of one object all succeed and store it once', async () => {
      const store = await make();
      const data = randomBytes(13 * 1024 * 1024 + 11);
      const oid = sha(data);
      await Promise.all([1, 2, 3].map((i) => store.put(oid, data.length, chunked(data, 65536 * i + 1))));
      assert.deepEqual(await store.stat(oid), { size: data.length });
      assert.ok((await readAll(await store.read(oid))).equals(data));
      await nothingLeft(store);
    });

    test('a wrong upload racing a right one, or following it, never replaces the right bytes', async () => {
      const store = await make();
      const data = randomBytes(12 * 1024 * 1024 + 3);
      const oid = sha(data);
      const forged = Buffer.from(data);
      forged[forged.length - 1] = forged[forged.length - 1]! ^ 0xff;
      const results = await Promise.allSettled([store.put(oid, data.length, chunked(forged, 65536)), store.put(oid, data.length, chunked(data, 65536))]);
      assert.equal(results[0].status, 'rejected');
      assert.ok(refused((results[0] as PromiseRejectedResult).reason));
      assert.equal(results[1].status, 'fulfilled');
      await assert.rejects(store.put(oid, data.length, chunked(forged, 65536)), refused);
      assert.ok((await readAll(await store.read(oid))).equals(data));
      await nothingLeft(store);
    });

    test('a second put of the same object is harmless; delete removes it', async () => {
      const store = await make();
      const data = randomBytes(1000);
      const oid = sha(data);
      await store.put(oid, data.length, chunked(data, 100));
      await store.put(oid, data.length, chunked(data, 300));
      assert.ok((await readAll(await store.read(oid))).equals(data));
      await store.delete(oid);
      assert.equal(await store.stat(oid), undefined);
      await assert.rejects(store.read(oid), (e: unknown) => e instanceof HubError && e.code === 'EntryNotFound');
    });

    test('invalid object ids are refused', async () => {
      const store = await make();
      await assert.rejects(store.stat('../../etc/passwd'), (e: unknown) => e instanceof HubError && e.code === 'BadRequest');
      await assert.rejects(store.put('ABC', 1, Readable.from([Buffer.from('x')])), (e: unknown) => e instanceof HubError);
    });
  });
}
