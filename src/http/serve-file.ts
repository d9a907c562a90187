import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { HubError } from '../core/errors.js';
import type { BlobReader, ByteRange } from '../storage/blob-store.js';
import type { Ctx } from './context.js';
import { parseRange } from './range.js';

const TYPES: Record<string, string> = {
  md: 'text/markdown; charset=utf-8', txt: 'text/plain; charset=utf-8', json: 'application/json',
  jsonl: 'application/jsonl', csv: 'text/csv; charset=utf-8', tsv: 'text/tab-separated-values; charset=utf-8',
  py: 'text/x-python; charset=utf-8', yaml: 'application/yaml', yml: 'application/yaml', html: 'text/plain; charset=utf-8',
  svg: 'text/plain; charset=utf-8', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
};

/** A content type that never lets a browser run user content on the hub's origin (HTML and SVG are served as text). */
export function contentTypeFor(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return TYPES[ext] ?? 'application/octet-stream';
}

export function contentDisposition(path: string, attachment: boolean): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${attachment ? 'attachment' : 'inline'}; filename*=UTF-8''${encodeURIComponent(name)}; filename="${ascii}";`;
}

export interface FileSource {
  size: number;
  etag: string;
  path: string;
  headers: Record<string, string>;
  open(range: ByteRange | undefined): Promise<Readable>;
  /** Positional reads, preferred over `open` when given (see `sendFromReader`). */
  openReader?(): Promise<BlobReader>;
}

/**
 * Serves bytes with `HEAD`/`GET`, `ETag`, `Range` (206 + `Content-Range`,
 * spec 2.4), `If-None-Match`, and backpressure all the way to the socket.
 */
export async function serveFile(ctx: Ctx, file: FileSource): Promise<void> {
  const { req, res } = ctx;
  const headers: Record<string, string> = {
    ...file.headers,
    ETag: file.etag,
    'Accept-Ranges': 'bytes',
    'Content-Type': contentTypeFor(file.path),
    'Content-Disposition': contentDisposition(file.path, ctx.flag('download')),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'private, max-age=0, must-revalidate',
  };
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').map((s) => s.trim().replace(/^W\//, '')).includes(file.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const rangeHeader = req.headers.range;
  if (file.size === 0 && rangeHeader) {
    // bytes=0-0 cannot be satisfied on an empty file; JS reads size 0 from `*/0` (spec 2.4).
    res.writeHead(200, { ...headers, 'Content-Length': '0', 'Content-Range': 'bytes */0' });
    res.end();
    return;
  }
  const range = parseRange(rangeHeader, file.size);
  if (range === 'unsatisfiable') {
    throw new HubError('RangeNotSatisfiable', `Range ${rangeHeader} is outside a file of ${file.size} bytes`, {
      headers: { ...file.headers, 'Content-Range': `bytes */${file.size}` },
    });
  }
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${file.size}`;
    headers['Content-Length'] = String(range.end - range.start + 1);
  } else {
    headers['Content-Length'] = String(file.size);
  }
  if (ctx.method === 'HEAD') {
    res.writeHead(range ? 206 : 200, headers);
    res.end();
    return;
  }
  if (file.openReader) {
    const reader = await file.openReader();
    res.writeHead(range ? 206 : 200, headers);
    try {
      await sendFromReader(reader, range ?? { start: 0, end: file.size - 1 }, res);
    } catch {
      // The source failed mid-stream: nothing to answer any more.
      res.destroy();
    } finally {
      await reader.close().catch(() => undefined);
    }
    return;
  }
  const stream = await file.open(range);
  res.writeHead(range ? 206 : 200, headers);
  try {
    await pipeline(stream, res);
  } catch {
    // The client went away or the source failed mid-stream: nothing to answer any more.
    stream.destroy();
    res.destroy();
  }
}

/** Read size of `sendFromReader`. */
const SEND_CHUNK = 1024 * 1024;

/**
 * A read buffer that starts 2 KiB into its allocation. glibc places a large
 * allocation 16 bytes past a page boundary, and the kernel copied page-cache
 * pages to such an address at about a third of the speed of other offsets
 * (pread: 1.2 vs 3 GB/s on the benchmark machine, an AMD EPYC); a buffer
 * allocated per chunk only escapes this by luck of where malloc puts it.
 */
function readBuffer(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size + 4096).subarray(2048, 2048 + size);
}

/**
 * Writes bytes `range.start..range.end` of a reader to the response through
 * two buffers used in turn: one is read while the socket takes the other. A
 * stream allocates a new buffer per chunk instead, and with a GiB of
 * short-lived buffers per download V8 often fell into a full mark-compact
 * every 30-60 MB ("external memory pressure" in --trace-gc): downloads were
 * 15-30% slower (median) and used about twice the CPU per GiB
 * (bench/download.ts, docs/benchmarks.md).
 */
async function sendFromReader(reader: BlobReader, range: ByteRange, res: ServerResponse): Promise<void> {
  const buffers: Buffer[] = [];
  let taken: Promise<void> = Promise.resolve();
  for (let pos = range.start, turn = 0; pos <= range.end; turn ^= 1) {
    // This buffer's previous write was awaited before the other one was written.
    const buf = (buffers[turn] ??= readBuffer(Math.min(SEND_CHUNK, range.end - range.start + 1)));
    const n = await reader.read(buf, Math.min(buf.length, range.end - pos + 1), pos);
    if (n === 0) throw new Error('The object is shorter than its recorded size');
    pos += n;
    await taken;
    if (res.destroyed) return; // The client went away.
    taken = writeTaken(res, buf.subarray(0, n));
  }
  await taken;
  res.end();
}

/** Resolves once the socket has taken `chunk` (its buffer may then be reused), or the response is closed. */
function writeTaken(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    // A write to a destroyed socket never calls back: 'close' covers it.
    const onClose = (): void => resolve();
    res.once('close', onClose);
    res.write(chunk, () => {
      res.off('close', onClose);
      resolve();
    });
  });
}

/** Skips to `range.start` and stops after `range.end` of a stream that starts at byte 0. */
export async function* sliceStream(source: AsyncIterable<Buffer>, range: ByteRange): AsyncGenerator<Buffer> {
  let pos = 0;
  for await (const chunk of source) {
    const end = pos + chunk.length;
    if (end > range.start && pos <= range.end) {
      yield chunk.subarray(Math.max(0, range.start - pos), Math.min(chunk.length, range.end - pos + 1));
    }
    pos = end;
    if (pos > range.end) return;
  }
}
