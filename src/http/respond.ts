import type { Ctx } from './context.js';

export function sendJson(ctx: Ctx, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  ctx.res.end(ctx.method === 'HEAD' ? undefined : text);
}

/**
 * `Link: <absolute url>; rel="next"` with every original query parameter
 * kept and the cursor replaced (spec 1.5): PY fetches the URL as it is.
 */
export function nextLink(ctx: Ctx, cursor: string): string {
  const params = new URLSearchParams(ctx.url.search);
  params.set('cursor', cursor);
  return `<${ctx.baseUrl}${ctx.rawPath}?${params.toString()}>; rel="next"`;
}

/** Opaque cursors: base64url of an offset. */
export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodeCursor(cursor: string | null): number {
  if (!cursor) return 0;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof v.o === 'number' && Number.isSafeInteger(v.o) && v.o >= 0) return v.o;
  } catch {
    // fall through
  }
  return 0;
}

/** `limit` as a page size, capped (spec 1.5). */
export function pageSize(ctx: Ctx, fallback: number, max: number): number {
  const raw = ctx.url.searchParams.get('limit');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1) return fallback;
  return Math.min(Math.floor(n), max);
}
