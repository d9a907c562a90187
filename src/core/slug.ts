/** A URL-safe slug from a title: ASCII letters and digits joined by '-', at most 60 characters; `fallback` when nothing is left. */
export function slugify(title: string, fallback: string): string {
  const s = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s || fallback;
}
