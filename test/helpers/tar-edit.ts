import { readFile, writeFile } from 'node:fs/promises';
import { Header } from 'tar';

/**
 * Reads and rewrites small tar files for the bundle tests, so that they can
 * tamper with a bundle the way a bad disk or an attacker would: flip a byte
 * in one file, add or drop a file, add a `../` entry. Whole files in memory:
 * test bundles are small.
 */
export interface TarEntry {
  path: string;
  data: Buffer;
  /** where the entry's bytes start in the tar file */
  offset: number;
}

export async function readTar(file: string): Promise<TarEntry[]> {
  const buf = await readFile(file);
  const out: TarEntry[] = [];
  let at = 0;
  while (at + 512 <= buf.length) {
    const header = new Header(buf, at);
    if (header.nullBlock) break;
    const size = header.size ?? 0;
    out.push({ path: header.path!, data: buf.subarray(at + 512, at + 512 + size), offset: at + 512 });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** Writes entries as a plain ustar archive (paths are taken as given, `../` included). */
export async function writeTarEntries(file: string, entries: { path: string; data: Buffer }[]): Promise<void> {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const h = new Header({ path: e.path, mode: 0o644, size: e.data.length, mtime: new Date(0), type: 'File', uid: 0, gid: 0 });
    h.encode();
    parts.push(h.block!, e.data, Buffer.alloc((512 - (e.data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  await writeFile(file, Buffer.concat(parts));
}

/** A copy of `file` with one byte of entry `path` flipped, at `at` bytes into that entry. */
export async function flipByte(file: string, out: string, path: string, at: number): Promise<void> {
  const entry = (await readTar(file)).find((e) => e.path === path);
  if (!entry) throw new Error(`no entry ${path}`);
  const buf = await readFile(file);
  buf[entry.offset + at] = buf[entry.offset + at]! ^ 0xff;
  await writeFile(out, buf);
}
