import type { Readable } from 'node:stream';
import { spawnGit } from '../../repo/git.js';
import { gitRepoFor, type Hub } from '../../services/hub.js';
import type { RepoRow } from '../../services/repos.js';
import type { IndexedEntry } from '../../services/tree-index.js';

/** A reason, fit to show to the visitor, why a data file has no preview. */
export class PreviewError extends Error {}

/**
 * Git blobs have no random access (`cat-file` streams from the start), so a
 * format that needs the end of the file (Parquet) is read whole, up to this.
 */
export const MAX_WHOLE_GIT_BLOB = 16 * 1024 * 1024;

/** Byte access to one file of a repo that never reads more than asked. */
export interface ByteSource {
  readonly size: number;
  /** Bytes [start, end), end exclusive (clamped to the size). */
  range(start: number, end: number): Promise<Buffer>;
  /** The first `limit` bytes. */
  head(limit: number): Promise<Buffer>;
}

async function collect(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    n += (chunk as Buffer).length;
    if (n >= limit) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, limit);
}

/** The first `limit` bytes of a git blob; git is killed once they have arrived. */
async function gitHead(hub: Hub, row: RepoRow, oid: string, limit: number): Promise<Buffer> {
  const child = spawnGit(gitRepoFor(hub, row.id).gitDir, ['cat-file', 'blob', oid]);
  child.on('error', () => undefined); // a failed spawn just reads as no bytes
  child.stdin!.end();
  child.stderr!.resume();
  try {
    return await collect(child.stdout!, limit);
  } finally {
    child.kill();
  }
}

/**
 * An LFS file reads ranges from the blob store; a regular file reads the
 * head of its git blob, or (for `range`) the whole blob when it is small.
 */
export function openSource(hub: Hub, row: RepoRow, entry: IndexedEntry): ByteSource {
  const size = entry.size;
  if (entry.lfs) {
    const oid = entry.lfs.oid;
    const range = async (start: number, end: number): Promise<Buffer> => {
      const to = Math.min(end, size);
      if (to <= start) return Buffer.alloc(0);
      // The store's ranges are inclusive, like HTTP's.
      return collect(await hub.blobs.read(oid, { start, end: to - 1 }), to - start);
    };
    return { size, range, head: (limit) => range(0, limit) };
  }
  let whole: Promise<Buffer> | undefined;
  return {
    size,
    head: (limit) => gitHead(hub, row, entry.oid, Math.min(limit, size)),
    async range(start, end) {
      if (size > MAX_WHOLE_GIT_BLOB) throw new PreviewError('This file is too large to preview without Git LFS.');
      whole ??= gitHead(hub, row, entry.oid, size);
      return (await whole).subarray(start, Math.min(end, size));
    },
  };
}
