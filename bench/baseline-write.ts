/**
 * The upload baseline: plain Node in one process reads a file in 1 MiB
 * chunks, hashes them (sha256) and writes them to another file: what an LFS
 * upload has to do at the least, without HTTP.
 *
 *   node dist/bench/baseline-write.js '{"src":"…","dst":"…","variant":"sync"|"stream"|"ring"}'
 *
 * Prints `{ ms, fsyncMs, cpuS, fsyncCpuS, sha256 }`: `ms` is read + hash +
 * write (until the file is closed), `fsyncMs` the fsync that follows (the hub
 * fsyncs every object before it makes it visible, so both numbers are
 * reported); `cpuS` and `fsyncCpuS` the process's CPU time for each part.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';

const CHUNK = 1024 * 1024;

/**
 * A reused read buffer 2 KiB into its allocation: at malloc's usual offset of
 * a large block (16 bytes past a page boundary), the kernel's copies from the
 * page cache ran at a third of the speed on the benchmark machine (see
 * `readBuffer` in src/http/serve-file.ts). The baseline gets the same help.
 */
function readBuffer(): Buffer {
  return Buffer.allocUnsafeSlow(CHUNK + 4096).subarray(2048, 2048 + CHUNK);
}
const { src, dst, variant } = JSON.parse(process.argv[2] ?? '{}') as { src: string; dst: string; variant: 'sync' | 'stream' | 'ring' };

/** One thread does everything: read, hash, write, with one reused buffer. */
function copySync(): string {
  const hash = createHash('sha256');
  const buf = readBuffer();
  const input = openSync(src, 'r');
  const out = openSync(dst, 'w');
  try {
    for (;;) {
      const n = readSync(input, buf, 0, CHUNK, null);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      for (let off = 0; off < n; ) off += writeSync(out, chunk, off, n - off);
    }
  } finally {
    closeSync(input);
    closeSync(out);
  }
  return hash.digest('hex');
}

/** Streams: reads and writes run on libuv's thread pool while the main thread hashes. */
async function copyStream(): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(dst, { highWaterMark: CHUNK });
  for await (const chunk of createReadStream(src, { highWaterMark: CHUNK })) {
    hash.update(chunk as Buffer);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  return hash.digest('hex');
}

function cpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * A ring of four reused buffers: the next chunk is read and the previous one
 * written (on the thread pool) while this one is hashed, and no buffer is
 * allocated per chunk (a GiB of short-lived buffers can make V8 run full GCs).
 */
async function copyRing(): Promise<string> {
  const hash = createHash('sha256');
  const input = await open(src, 'r');
  const out = await open(dst, 'w');
  const bufs = Array.from({ length: 4 }, readBuffer);
  const writes: Promise<unknown>[] = bufs.map(() => Promise.resolve());
  try {
    let pos = 0;
    let reading = input.read(bufs[0]!, 0, CHUNK, 0);
    for (let i = 0; ; i++) {
      const n = (await reading).bytesRead;
      if (n === 0) break;
      const next = (i + 1) % bufs.length;
      await writes[next]; // that buffer is free again
      reading = input.read(bufs[next]!, 0, CHUNK, pos + n);
      const chunk = bufs[i % bufs.length]!.subarray(0, n);
      hash.update(chunk);
      writes[i % bufs.length] = out.write(chunk, 0, n, pos);
      pos += n;
    }
    await Promise.all(writes);
  } finally {
    await input.close();
    await out.close();
  }
  return hash.digest('hex');
}

async function main(): Promise<void> {
  const [t0, c0] = [performance.now(), cpuS()];
  const sha256 = variant === 'sync' ? copySync() : variant === 'ring' ? await copyRing() : await copyStream();
  const [t1, c1] = [performance.now(), cpuS()];
  const fd = openSync(dst, 'r');
  fsyncSync(fd);
  closeSync(fd);
  const [t2, c2] = [performance.now(), cpuS()];
  process.stdout.write(`${JSON.stringify({ ms: t1 - t0, fsyncMs: t2 - t1, cpuS: c1 - c0, fsyncCpuS: c2 - c1, sha256 })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
