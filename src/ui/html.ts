/**
 * HTML built with a tagged template that escapes every interpolation unless
 * it is already `SafeHtml`. Pages are strings; nothing user-controlled can
 * reach the output without passing through `escapeHtml` or the Markdown
 * sanitiser.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

type Value = SafeHtml | string | number | boolean | null | undefined | Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Marks trusted, already-safe markup (sanitised Markdown, highlighted code). */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** Encodes each path segment for a URL, keeping the slashes. */
export function pathUrl(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export { formatBytes } from './client/format.js';

export function timeAgo(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return 'just now';
  const steps: [number, string][] = [[60, 'minute'], [3600, 'hour'], [86400, 'day'], [2592000, 'month'], [31536000, 'year']];
  let [div, unit] = steps[0]!;
  for (const step of steps) if (s >= step[0]) [div, unit] = step;
  const n = Math.floor(s / div);
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}
