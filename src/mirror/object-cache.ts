import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { HubError } from '../core/errors.js';
import { log } from '../core/log.js';
import { processAlive } from '../storage/process-files.js';
import type { Db } from '../db/database.js';
import type { BlobReader } from '../storage/blob-store.js';

/** What upstream announced for one file: its content id and size. */
export interface ObjectKey {
  /** `sha256` for LFS files, `git` for regular files (the git blob id, sha1 over a header and the bytes). */
  algo: 'sha256' | 'git';
  oid: string;
  size: number;
}

export function objectName(key: ObjectKey): string {
  return `${key.algo}-${key.oid}`;
}

/** Upstream's answer to "the bytes from `offset` on": where they really start (0 when it ignored the range). */
export interface FetchedBytes {
  start: number;
  body: AsyncIterable<Uint8Array>;
}
/**
 * Thrown by a fetcher when upstream cannot serve the rest of what is cached
 * (416 on the resumed range): the partial bytes belong to something else.
 */
export class StaleRangeError extends Error {}

export type Fetcher = (offset: number, signal: AbortSignal) => Promise<FetchedBytes>;

export interface ObjectCacheOptions {
  /** Cap on the cached bytes (complete objects); 0 for none. */
  maxBytes: number;
  /** An upstream body that sends nothing for this long is given up (and resumed by the next request). */
  stallMs: number;
}

export interface CacheCounters {
  objectHits: number;
  objectMisses: number;
  bytesFromCache: number;
  bytesFromUpstream: number;
  upstreamTransfers: number;
  refusedObjects: number;
  evictedObjects: number;
}

const CHUNK = 1024 * 1024;
/** Bytes gathered before one write to the partial file. */
const WRITE_BATCH = 1024 * 1024;
/**
 * The most recent bytes a fill keeps in memory for its readers, beyond those still on their way to the
 * disk: a reader that keeps up with the transfer copies them from there instead of reading the partial
 * file back (a thread-pool round trip and a page-cache copy per read: bench/mirror.ts).
 */
const RECENT_BYTES = 8 * 1024 * 1024;

/**
 * File contents fetched from upstream, stored once per content id and served
 * while they arrive.
 *
 * - One transfer per object in this process, whoever asks: a request for an
 *   object that is being fetched reads the same partial file as it grows.
 * - A transfer that breaks leaves its partial file; the next one asks upstream
 *   for the rest only (after re-hashing what is there).
 * - An object becomes a cache entry only once its size and hash match what
 *   upstream announced; bytes that do not are deleted, never served again.
 *   Readers are held back one byte short of the end until then, so that no
 *   client ever receives a whole response whose bytes failed the check: it
 *   sees a cut transfer instead.
 * - Eviction is least-recently-used down to the cap and skips objects that a
 *   reader has open.
 */
export class ObjectCache {
  private readonly fills = new Map<string, Fill>();
  private readonly inUse = new Map<string, number>();
  readonly counters: CacheCounters = { objectHits: 0, objectMisses: 0, bytesFromCache: 0, bytesFromUpstream: 0, upstreamTransfers: 0, refusedObjects: 0, evictedObjects: 0 };

  constructor(
    private readonly dir: string,
    private readonly db: Db,
    private readonly opts: ObjectCacheOptions,
  ) {}

  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  get stallMs(): number {
    return this.opts.stallMs;
  }

  async init(): Promise<void> {
    await mkdir(path.join(this.dir, 'objects'), { recursive: true });
    await mkdir(path.join(this.dir, 'partial'), { recursive: true });
  }

  objectPath(name: string): string {
    return path.join(this.dir, 'objects', name.slice(0, name.indexOf('-') + 3), name);
  }

  /**
   * This process's partial file of an object. Per process, so that two
   * processes sharing the data folder never write one file at once (each then
   * fetches the object itself; both verify, and the second rename replaces
   * equal bytes with equal bytes).
   */
  partialPath(name: string): string {
    return path.join(this.dir, 'partial', `${name}.${process.pid}`);
  }

  /**
   * Takes over the largest partial file of `name` left by a process that is
   * gone (a crash, a restart), so that its bytes are resumed rather than
   * fetched again; drops the other leftovers. Partial files of live processes
   * are left alone. (Process ids are per host: the cache folder is too.)
   */
  async adoptPartial(name: string): Promise<void> {
    const own = this.partialPath(name);
    if (await stat(own).catch(() => undefined)) return;
    const dir = path.join(this.dir, 'partial');
    const left: { file: string; size: number }[] = [];
    for (const f of await readdir(dir)) {
      if (!f.startsWith(`${name}.`)) continue;
      const pid = Number(f.slice(name.length + 1));
      if (!Number.isSafeInteger(pid) || pid === process.pid || processAlive(pid)) continue;
      const s = await stat(path.join(dir, f)).catch(() => undefined);
      if (s) left.push({ file: path.join(dir, f), size: s.size });
    }
    left.sort((x, y) => y.size - x.size);
    for (const [i, l] of left.entries()) {
      // Another process may adopt the same file at the same moment: the rename decides.
      if (i === 0) await rename(l.file, own).catch(() => undefined);
      else await rm(l.file, { force: true });
    }
  }

  /** True when the whole object is cached. */
  async has(key: ObjectKey): Promise<boolean> {
    const s = await stat(this.objectPath(objectName(key))).catch(() => undefined);
    return s !== undefined && s.size === key.size;
  }

  /**
   * A positional reader of the object: from the cache when complete, else from
   * the (possibly shared) transfer that `fetcher` feeds.
   */
  async open(key: ObjectKey, fetcher: Fetcher): Promise<BlobReader> {
    const name = objectName(key);
    const file = await open(this.objectPath(name), 'r').catch(() => undefined);
    if (file) {
      this.counters.objectHits++;
      await this.touch(name);
      return this.track(name, new FileReader(file, this.counters, 'bytesFromCache'));
    }
    this.counters.objectMisses++;
    let fill = this.fills.get(name);
    if (!fill) {
      fill = new Fill(this, key, fetcher);
      this.fills.set(name, fill);
      void fill.run().finally(() => this.fills.delete(name));
    }
    return this.track(name, await fill.reader());
  }

  /** Wraps a reader so that eviction leaves its object alone until it is closed. */
  private track(name: string, reader: BlobReader): BlobReader {
    this.inUse.set(name, (this.inUse.get(name) ?? 0) + 1);
    let closed = false;
    return {
      read: (buf, len, pos) => reader.read(buf, len, pos),
      close: async () => {
        if (closed) return;
        closed = true;
        const n = (this.inUse.get(name) ?? 1) - 1;
        if (n <= 0) this.inUse.delete(name);
        else this.inUse.set(name, n);
        await reader.close();
      },
    };
  }

  private async touch(name: string): Promise<void> {
    await this.db
      .updateTable('mirror_objects')
      .set((eb) => ({ last_access: new Date().toISOString(), hits: eb('hits', '+', 1) }))
      .where('name', '=', name)
      .execute();
  }

  /** Called by a fill once its object is verified and in place. */
  async added(key: ObjectKey): Promise<void> {
    const now = new Date().toISOString();
    await this.db
      .insertInto('mirror_objects')
      .values({ name: objectName(key), size: key.size, created_at: now, last_access: now, hits: 0 })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    await this.evict(0);
  }

  /** Total bytes of complete cached objects. */
  async usedBytes(): Promise<{ bytes: number; objects: number }> {
    const row = await this.db
      .selectFrom('mirror_objects')
      .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('size'), eb.lit(0)).as('bytes'), eb.fn.countAll<number>().as('objects')])
      .executeTakeFirstOrThrow();
    return { bytes: Number(row.bytes), objects: Number(row.objects) };
  }

  /**
   * Evicts least-recently-used objects until `incoming` more bytes fit under
   * the cap. Objects being read or filled are skipped: the cap may then be
   * exceeded for a while rather than a download being cut.
   */
  async evict(incoming: number): Promise<void> {
    if (this.opts.maxBytes <= 0) return;
    let { bytes } = await this.usedBytes();
    if (bytes + incoming <= this.opts.maxBytes) return;
    const rows = await this.db.selectFrom('mirror_objects').select(['name', 'size']).orderBy('last_access').orderBy('name').execute();
    for (const row of rows) {
      if (bytes + incoming <= this.opts.maxBytes) break;
      if (this.inUse.has(row.name) || this.fills.has(row.name)) continue;
      await this.db.deleteFrom('mirror_objects').where('name', '=', row.name).execute();
      await rm(this.objectPath(row.name), { force: true });
      bytes -= Number(row.size);
      this.counters.evictedObjects++;
    }
  }
}

/** Reads a complete cached object. */
class FileReader implements BlobReader {
  constructor(
    private readonly file: FileHandle,
    private readonly counters: CacheCounters,
    private readonly counter: 'bytesFromCache',
  ) {}

  async read(buffer: Buffer, length: number, position: number): Promise<number> {
    const { bytesRead } = await this.file.read(buffer, 0, length, position);
    this.counters[this.counter] += bytesRead;
    return bytesRead;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

function startHash(key: ObjectKey): Hash {
  const h = createHash(key.algo === 'sha256' ? 'sha256' : 'sha1');
  if (key.algo === 'git') h.update(`blob ${key.size}\0`);
  return h;
}

/** One transfer of one object from upstream into the partial file, with any number of readers. */
class Fill {
  /** Bytes in the partial file. */
  written = 0;
  /** Bytes received and hashed: `written` plus those in memory on their way to the file. */
  received = 0;
  /** The last chunks received, oldest first, covering at least `written..received` (see RECENT_BYTES). */
  private recent: { start: number; bytes: Buffer }[] = [];
  private recentBytes = 0;
  done = false;
  error: Error | undefined;
  private waiters: (() => void)[] = [];
  private readonly name: string;
  private readonly partial: string;
  /** Resolves once upstream has answered (or the fill needs no transfer, or failed). */
  private readonly started: Promise<void>;
  private startedResolve!: () => void;

  constructor(
    private readonly cache: ObjectCache,
    private readonly key: ObjectKey,
    private readonly fetcher: Fetcher,
  ) {
    this.name = objectName(key);
    this.partial = cache.partialPath(this.name);
    this.started = new Promise((r) => (this.startedResolve = r));
  }

  /** Resolves at the next change of `written`, `done` or `error`. */
  changed(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  private notify(): void {
    if (this.waiters.length === 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  /** Keeps a received chunk for readers, dropping the oldest ones already in the file beyond RECENT_BYTES. */
  private remember(start: number, bytes: Buffer): void {
    this.recent.push({ start, bytes });
    this.recentBytes += bytes.length;
    while (this.recent.length > 1) {
      const first = this.recent[0]!;
      if (this.recentBytes - first.bytes.length < RECENT_BYTES || first.start + first.bytes.length > this.written) break;
      this.recent.shift();
      this.recentBytes -= first.bytes.length;
    }
  }

  private forget(): void {
    this.recent = [];
    this.recentBytes = 0;
  }

  /**
   * Copies up to `length` bytes at `position` from the chunks in memory into `buffer`; 0 when
   * `position` is not among them (the caller reads the file).
   */
  copyRecent(buffer: Buffer, length: number, position: number): number {
    const recent = this.recent;
    let i = recent.length - 1;
    while (i >= 0 && recent[i]!.start > position) i--;
    if (i < 0) return 0;
    let copied = 0;
    for (; i < recent.length && copied < length; i++) {
      const { start, bytes } = recent[i]!;
      const from = position + copied - start;
      if (from < 0 || from >= bytes.length) break;
      copied += bytes.copy(buffer, copied, from, Math.min(bytes.length, from + length - copied));
    }
    return copied;
  }

  /**
   * A reader, once upstream has answered: a request that cannot be served gets
   * an error response, not a 200 cut short.
   */
  async reader(): Promise<BlobReader> {
    await this.started;
    if (this.error && !this.done) throw this.error;
    // The fill renames the partial file when it completes: the reader's own handle outlives that.
    const file = (await open(this.partial, 'r').catch(() => undefined)) ?? (await open(this.cache.objectPath(this.name), 'r'));
    return new FillReader(this, file, this.key.size, this.cache.counters);
  }

  async run(): Promise<void> {
    let fd: FileHandle | undefined;
    try {
      await this.cache.adoptPartial(this.name);
      fd = await open(this.partial, constants.O_RDWR | constants.O_CREAT);
      let have = (await fd.stat()).size;
      if (have > this.key.size) {
        await fd.truncate(0);
        have = 0;
      }
      this.written = have;
      this.received = have;
      let hash = startHash(this.key);
      // What an earlier, interrupted transfer left: hashed again, since a hash state cannot be saved.
      const buf = Buffer.allocUnsafe(CHUNK);
      for (let pos = 0; pos < have; ) {
        const { bytesRead } = await fd.read(buf, 0, Math.min(CHUNK, have - pos), pos);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
      if (this.written < this.key.size) {
        hash = await this.transfer(fd, hash);
      }
      const digest = hash.digest('hex');
      if (digest !== this.key.oid) {
        this.cache.counters.refusedObjects++;
        await fd.close();
        fd = undefined;
        await rm(this.partial, { force: true });
        throw new HubError('BadGateway', `Upstream sent bytes that do not match the ${this.key.algo === 'git' ? 'git blob id' : 'sha256'} it announced (${this.key.oid}); nothing was cached`);
      }
      // Verified: readers may have the last byte now. Making the copy durable (fsync) and moving it
      // into the cache follow; they cost the client nothing (0.5 s per GiB here: bench/mirror.ts).
      this.done = true;
      this.notify();
      await fd.sync();
      await fd.close();
      fd = undefined;
      const final = this.cache.objectPath(this.name);
      await mkdir(path.dirname(final), { recursive: true });
      await rename(this.partial, final);
      await this.cache.added(this.key);
    } catch (err) {
      this.error = err instanceof Error ? err : new Error(String(err));
      // Served whole and verified, but not kept (a disk error after the check): the next request fetches it again.
      if (this.done) log.warn('mirror: a verified object could not be moved into the cache', { object: this.name, error: this.error.message });
    } finally {
      this.startedResolve();
      await fd?.close().catch(() => undefined);
      // Everything is in the file (or the fill failed): readers go on from there.
      this.forget();
      this.notify();
    }
  }

  /** Appends upstream's bytes from `written` on; returns the hash over everything written. */
  private async transfer(fd: FileHandle, hashSoFar: Hash): Promise<Hash> {
    let hash = hashSoFar;
    await this.cache.evict(this.key.size - this.written);
    const abort = new AbortController();
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        abort.abort();
      }, this.cache.stallMs);
    };
    arm();
    this.cache.counters.upstreamTransfers++;
    let writing: Promise<void> = Promise.resolve();
    try {
      const fetched = await this.fetcher(this.written, abort.signal);
      this.startedResolve();
      if (fetched.start !== this.written) {
        if (fetched.start !== 0) throw new HubError('BadGateway', `Upstream answered a range request for byte ${this.written} from byte ${fetched.start}`);
        // Upstream ignored the range: start over.
        await fd.truncate(0);
        this.written = 0;
        this.received = 0;
        this.forget();
        hash = startHash(this.key);
      }
      // Chunks are hashed as they come and written in batches of about WRITE_BATCH with one writev,
      // one batch on its way to the disk while the next is gathered: a write per network chunk cost
      // a thread-pool round trip each (bench/mirror.ts).
      let batch: Buffer[] = [];
      let batchBytes = 0;
      let queued = this.written;
      const flush = async (): Promise<void> => {
        const buffers = batch;
        const at = queued;
        queued += batchBytes;
        batch = [];
        batchBytes = 0;
        await writing;
        writing = writeAll(fd, buffers, at).then(() => {
          this.written = at + buffers.reduce((n, b) => n + b.length, 0);
          this.notify();
        });
      };
      for await (const chunk of fetched.body) {
        arm();
        if (queued + batchBytes + chunk.length > this.key.size) {
          this.cache.counters.refusedObjects++;
          await rm(this.partial, { force: true });
          throw new HubError('BadGateway', `Upstream sent more than the ${this.key.size} bytes it announced for ${this.key.oid}; nothing was cached`);
        }
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        hash.update(bytes);
        batch.push(bytes);
        batchBytes += bytes.length;
        this.cache.counters.bytesFromUpstream += bytes.length;
        this.remember(this.received, bytes);
        this.received += bytes.length;
        this.notify();
        if (batchBytes >= WRITE_BATCH) await flush();
      }
      if (batchBytes > 0) await flush();
      await writing;
    } catch (err) {
      // Bytes already handed to the disk belong to the partial file: let them land before deciding.
      await writing.catch(() => undefined);
      if (err instanceof StaleRangeError) {
        await rm(this.partial, { force: true });
        throw new HubError('BadGateway', `${err.message}; the partial copy was dropped`);
      }
      if (err instanceof HubError) throw err;
      throw new HubError('UpstreamUnavailable', `The transfer from upstream was interrupted after ${this.written} of ${this.key.size} bytes${stalled ? ' (it stalled)' : ''}; the next request resumes it`);
    } finally {
      clearTimeout(timer);
    }
    if (this.written < this.key.size) {
      throw new HubError('UpstreamUnavailable', `Upstream ended the transfer after ${this.written} of ${this.key.size} bytes; the next request resumes it`);
    }
    return hash;
  }
}

/** Writes `buffers` at `position`, all of them (writev may write less than asked). */
async function writeAll(fd: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await fd.writev(rest, at);
    at += bytesWritten;
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) skip -= b.length;
      else {
        next.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    rest = next;
  }
}

/** Reads an object while its fill writes it: waits for bytes, and for the check before the last one. */
class FillReader implements BlobReader {
  constructor(
    private readonly fill: Fill,
    private readonly file: FileHandle,
    private readonly size: number,
    private readonly counters: CacheCounters,
  ) {}

  async read(buffer: Buffer, length: number, position: number): Promise<number> {
    for (;;) {
      // The last byte waits for the check; before it, what has been received (in memory or in the file).
      const available = this.fill.done ? this.size : Math.min(this.fill.received, this.size - 1);
      if (position < available) {
        const want = Math.min(length, available - position);
        const copied = this.fill.copyRecent(buffer, want, position);
        if (copied > 0) return copied;
        const inFile = this.fill.done ? this.size : Math.min(this.fill.written, this.size - 1);
        if (position < inFile) {
          const { bytesRead } = await this.file.read(buffer, 0, Math.min(want, inFile - position), position);
          return bytesRead;
        }
      }
      if (this.fill.error) throw this.fill.error;
      if (position >= this.size) return 0;
      await this.fill.changed();
    }
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
