/**
 * The mirror's object cache on its own (src/mirror/object-cache.ts), with a real SQLite database and
 * folder: readers that keep up with a fill copy the bytes it holds in memory, readers that fall behind
 * read the partial file, and both get exactly the object; a fill whose bytes fail the check never
 * gives any reader the last byte. The upstream here is a function that yields chunks (a fake upstream,
 * so that the pace of the transfer is under the test's control).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type OpenedDb } from '../src/db/database.js';
import { ObjectCache, type Fetcher, type ObjectKey } from '../src/mirror/object-cache.js';
import type { BlobReader } from '../src/storage/blob-store.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A fake upstream: `bytes` from `offset`, in chunks of 64 KiB, pausing `pauseMs` every `every` chunks. */
function fakeUpstream(bytes: Buffer, opts: { pauseMs?: number; every?: number } = {}): { fetcher: Fetcher; calls: number[] } {
  const calls: number[] = [];
  const fetcher: Fetcher = async (offset) => {
    calls.push(offset);
    return {
      start: offset,
      body: (async function* () {
        let n = 0;
        for (let at = offset; at < bytes.length; at += 65536) {
          yield bytes.subarray(at, Math.min(bytes.length, at + 65536));
          if (opts.pauseMs && ++n % (opts.every ?? 1) === 0) await sleep(opts.pauseMs);
        }
      })(),
    };
  };
  return { fetcher, calls };
}

/** Reads a whole object through a reader, `chunk` bytes at a time, sleeping `lagMs` after each read. */
async function readAll(reader: BlobReader, size: number, chunk: number, lagMs = 0): Promise<{ bytes: Buffer; error: unknown }> {
  const parts: Buffer[] = [];
  const buf = Buffer.alloc(chunk);
  let pos = 0;
  try {
    while (pos < size) {
      const n = await reader.read(buf, Math.min(chunk, size - pos), pos);
      if (n === 0) break;
      parts.push(Buffer.from(buf.subarray(0, n)));
      pos += n;
      if (lagMs) await sleep(lagMs);
    }
    return { bytes: Buffer.concat(parts), error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  } finally {
    await reader.close();
  }
}

describe('mirror object cache: readers of a fill', () => {
  let dir: string;
  let opened: OpenedDb;
  let cache: ObjectCache;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-objcache-'));
    opened = await openDatabase({ dataDir: dir });
    cache = new ObjectCache(path.join(dir, 'mirror-cache'), opened.db, { maxBytes: 0, stallMs: 10_000 });
    await cache.init();
  });
  after(async () => {
    await opened?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a reader that keeps up and one that falls far behind (past what the fill keeps in memory) both get the exact bytes', async () => {
    const bytes = randomBytes(24 * 1024 * 1024 + 333);
    const key: ObjectKey = { algo: 'sha256', oid: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
    // Upstream paced so that the fast reader waits on it, while the slow one lags by more than 8 MiB.
    const { fetcher, calls } = fakeUpstream(bytes, { pauseMs: 2, every: 4 });
    const fast = await cache.open(key, fetcher);
    const slow = await cache.open(key, fetcher);
    const [a, b] = await Promise.all([readAll(fast, key.size, 1024 * 1024), readAll(slow, key.size, 256 * 1024, 15)]);
    assert.equal(a.error, undefined);
    assert.equal(b.error, undefined);
    assert.ok(a.bytes.equals(bytes), 'the fast reader got the object');
    assert.ok(b.bytes.equals(bytes), 'the slow reader got the object');
    assert.deepEqual(calls, [0], 'one transfer');
    assert.equal(await cache.has(key), true);
    assert.deepEqual(await readdir(path.join(dir, 'mirror-cache', 'partial')), []);
  });

  test('bytes that fail the check: no reader, fast or slow, ever gets the last byte; nothing is kept', async () => {
    const bytes = randomBytes(12 * 1024 * 1024);
    const announced = createHash('sha256').update(Buffer.concat([bytes.subarray(0, -1), Buffer.from([bytes[bytes.length - 1]! ^ 1])])).digest('hex');
    const key: ObjectKey = { algo: 'sha256', oid: announced, size: bytes.length };
    const { fetcher } = fakeUpstream(bytes, { pauseMs: 1, every: 8 });
    const fast = await cache.open(key, fetcher);
    const slow = await cache.open(key, fetcher);
    const [a, b] = await Promise.all([readAll(fast, key.size, 1024 * 1024), readAll(slow, key.size, 512 * 1024, 5)]);
    for (const r of [a, b]) {
      assert.ok(r.error, 'the reader sees the failure');
      assert.match(String((r.error as Error).message), /do not match the sha256 it announced/);
      assert.ok(r.bytes.length < bytes.length, 'never the whole object');
      assert.ok(r.bytes.equals(bytes.subarray(0, r.bytes.length)), 'what it got is the start of what upstream sent');
    }
    assert.equal(await cache.has(key), false);
    assert.deepEqual(await readdir(path.join(dir, 'mirror-cache', 'partial')), []);
  });
});
