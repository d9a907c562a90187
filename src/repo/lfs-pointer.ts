import { SHA256_RE } from '../core/revision.js';

/** git-lfs pointers are small; anything larger is a regular blob. */
export const MAX_POINTER_SIZE = 1024;

export interface LfsPointer {
  oid: string;
  size: number;
}

/** The canonical pointer text, byte for byte what git-lfs writes. */
export function formatPointer(p: LfsPointer): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${p.oid}\nsize ${p.size}\n`;
}

/** Parses a git-lfs pointer (spec v1); returns undefined for anything else. */
export function parsePointer(content: Buffer | string): LfsPointer | undefined {
  if (content.length > MAX_POINTER_SIZE) return undefined;
  const text = typeof content === 'string' ? content : content.toString('utf8');
  if (!text.startsWith('version https://git-lfs.github.com/spec/v1\n')) return undefined;
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text)?.[1];
  const size = /^size (\d+)$/m.exec(text)?.[1];
  if (!oid || !SHA256_RE.test(oid) || size === undefined) return undefined;
  const n = Number(size);
  if (!Number.isSafeInteger(n)) return undefined;
  return { oid, size: n };
}
