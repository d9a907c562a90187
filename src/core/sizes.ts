/**
 * Byte sizes as people type them: `500M`, `10G`, `1.5GiB`, `2TB`, `4096`.
 * A bare suffix (K, M, G, T, P) and the `…iB` forms are powers of 1024, as in
 * `docker --memory 10g`; the `…B` forms without the `i` are powers of 1000,
 * as disk makers and the Hugging Face Hub count.
 */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgtp])(i?)(b?))?\s*(?:b(?:ytes?)?)?\s*$/i.exec(text);
  if (!m) return undefined;
  const [, num, unit, i, b] = m;
  const exponent = unit ? 'kmgtp'.indexOf(unit.toLowerCase()) + 1 : 0;
  const base = unit && b && !i ? 1000 : 1024;
  const bytes = Math.round(Number(num) * base ** exponent);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `1536` → `1.5 KiB`: for messages, never parsed back. */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let u = 0;
  while (Math.abs(value) >= 1024 && u < units.length - 1) {
    value /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} bytes` : `${Number(value.toFixed(value < 10 ? 2 : 1))} ${units[u]}`;
}
