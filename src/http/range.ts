import type { ByteRange } from '../storage/blob-store.js';

/**
 * Parses a single `Range: bytes=…` header against a size (spec 2.4):
 * `a-b`, `a-` and `-n`, with an end past EOF clamped. Multi-range requests
 * and malformed headers are ignored (the whole file is served), as RFC 9110
 * allows. Returns 'unsatisfiable' for a start at or past EOF.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}
