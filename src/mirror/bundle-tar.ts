import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Header, Parser, Pax, type ReadEntry } from 'tar';
import { HubError } from '../core/errors.js';

/**
 * Bundle paths: relative, `/`-separated, every segment starting with a letter,
 * digit or `_` (so no `.`, `..`, hidden or absolute names), from a small
 * alphabet. Anything else in a bundle is refused, whatever the tar says.
 */
const SAFE_PATH = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(?:\/[A-Za-z0-9_][A-Za-z0-9._-]{0,127}){0,7}$/;

export function isSafeBundlePath(p: string): boolean {
  return SAFE_PATH.test(p) && !p.split('/').some((s) => s === '.' || s === '..');
}

/** One file of a bundle being written: its bytes are opened only when its turn comes. */
export interface TarSource {
  path: string;
  size: number;
  open(): Promise<AsyncIterable<Uint8Array> | Iterable<Uint8Array>>;
}

/**
 * Writes a tar (ustar, with a pax header for sizes past 8 GiB) entry by
 * entry: the headers come from the `tar` package's encoders, the bodies are
 * streamed from their sources with backpressure, so no file is ever held in
 * memory. A source that gives more or fewer bytes than announced fails the
 * whole write (its header already promised a size).
 */
export async function writeTar(file: string, sources: Iterable<TarSource> | AsyncIterable<TarSource>): Promise<void> {
  async function* blocks(): AsyncIterable<Buffer> {
    const mtime = new Date();
    for await (const src of sources) {
      if (!isSafeBundlePath(src.path)) throw new HubError('Internal', `unsafe bundle path ${src.path}`);
      const data = { path: src.path, mode: 0o644, size: src.size, mtime, type: 'File' as const, uid: 0, gid: 0, uname: '', gname: '' };
      const header = new Header(data);
      if (header.encode()) yield new Pax({ path: src.path, size: src.size, mtime }).encode();
      yield header.block!;
      let written = 0;
      for await (const chunk of await src.open()) {
        written += chunk.length;
        if (written > src.size) throw new HubError('Internal', `${src.path} has more than the ${src.size} bytes announced`);
        yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
      if (written !== src.size) throw new HubError('Internal', `${src.path} has ${written} bytes, not the ${src.size} announced`);
      const pad = (512 - (src.size % 512)) % 512;
      if (pad) yield Buffer.alloc(pad);
    }
    // The end of an archive: two zero blocks.
    yield Buffer.alloc(1024);
  }
  await pipeline(Readable.from(blocks()), createWriteStream(file, { flags: 'wx' }));
}

/**
 * Extracts a bundle into `dir` (which must be empty), refusing the whole
 * bundle at the first entry that is not a plain file or folder (links,
 * devices), whose path is not safe (`../x`, `/etc/x`, hidden names), or that
 * names a file twice. Headers are checked strictly (a bad checksum refuses).
 * Files are created exclusively under `dir`, streamed from the archive.
 * Returns the paths of the files, as the archive names them.
 */
export async function extractTar(file: string, dir: string): Promise<string[]> {
  const files: string[] = [];
  const writes: Promise<void>[] = [];
  let refusal: Error | undefined;
  const parser = new Parser({ strict: true });
  const refuse = (message: string): void => {
    refusal ??= new HubError('UnprocessableEntity', `This bundle is refused: ${message}`);
    parser.abort(refusal);
  };
  parser.on('entry', (entry: ReadEntry) => {
    const p = entry.path.replace(/\/+$/, '');
    if (refusal) return void entry.resume();
    if (!isSafeBundlePath(p)) return refuse(`it has an entry with an unsafe path ${JSON.stringify(entry.path)}`), void entry.resume();
    if (entry.type === 'Directory') {
      mkdirSync(path.join(dir, p), { recursive: true });
      return void entry.resume();
    }
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
      return refuse(`${p} is a ${entry.type}, and a bundle holds only files`), void entry.resume();
    }
    if (files.includes(p)) return refuse(`${p} appears twice`), void entry.resume();
    files.push(p);
    const target = path.join(dir, p);
    mkdirSync(path.dirname(target), { recursive: true });
    // 'wx': never follow or overwrite anything already there. pipe() lets the parser wait for the disk.
    const out = createWriteStream(target, { flags: 'wx' });
    writes.push(
      new Promise<void>((resolve, reject) => {
        out.on('finish', resolve);
        out.on('error', (err) => {
          entry.resume();
          reject(err);
        });
      }),
    );
    entry.pipe(out);
  });
  const parsed = new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('abort', reject);
    parser.on('end', () => resolve());
    parser.on('close', () => resolve());
  });
  const input = createReadStream(file);
  try {
    const read = new Promise<void>((resolve, reject) => {
      input.on('error', reject);
      input.on('end', resolve);
    });
    input.pipe(parser as unknown as NodeJS.WritableStream);
    await Promise.all([read, parsed]);
  } catch (err) {
    input.destroy();
    await Promise.allSettled(writes);
    if (refusal) throw refusal;
    throw new HubError('UnprocessableEntity', `This bundle is refused: it is not a readable tar archive (${(err as Error).message})`);
  }
  const results = await Promise.allSettled(writes);
  const failed = results.find((r) => r.status === 'rejected');
  if (refusal) throw refusal;
  if (failed) throw new HubError('UnprocessableEntity', `This bundle is refused: ${(failed as PromiseRejectedResult).reason}`);
  return files;
}
