import type { ServerResponse } from 'node:http';
import { log } from '../core/log.js';
import type { Ctx } from './context.js';
import type { Operations } from './ops.js';
import { methodLabel, routeTemplate, UPLOAD_KINDS } from './route-template.js';

/** Probes and scrapes come every few seconds: logged at debug, so that they do not bury the requests. */
const QUIET_ROUTES = new Set(['healthz', 'readyz', 'metrics']);

type Chunk = string | Uint8Array | ((err?: Error | null) => void) | undefined | null;

function chunkBytes(chunk: Chunk, encoding: unknown): number {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return 0;
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return chunk.byteLength;
}

/** Counts the body bytes the routes write, whichever way they write them (`end`, `write`, a piped stream). */
function countBodyBytes(res: ServerResponse): () => number {
  let bytes = 0;
  const write = res.write;
  const end = res.end;
  res.write = function (this: ServerResponse, chunk: Chunk, ...rest: unknown[]) {
    bytes += chunkBytes(chunk, rest[0]);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: Chunk, ...rest: unknown[]) {
    bytes += chunkBytes(chunk, rest[0]);
    return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];
  return () => bytes;
}

/**
 * Watches one request from its start to the end of its answer (or the
 * connection's end), then writes its log line and its metrics. The line has
 * the route template and the path without its query string: signed transfer
 * URLs carry their signature there. Headers (tokens, cookies) are never logged.
 */
export function observeRequest(ctx: Ctx, ops: Operations): void {
  const { req, res } = ctx;
  const started = performance.now();
  const route = routeTemplate(ctx.method, ctx.rawPath);
  const bodyBytes = countBodyBytes(res);
  ops.requestStarted();
  // While shutting down, every answer closes its connection, so that keep-alive clients reconnect elsewhere.
  if (ops.shuttingDown) res.setHeader('Connection', 'close');
  res.once('close', () => {
    const seconds = (performance.now() - started) / 1000;
    const finished = res.writableFinished;
    // 499 (nginx's "client closed request"): the connection ended before any answer.
    const status = res.headersSent ? res.statusCode : 499;
    const bytes = ctx.method === 'HEAD' || status === 204 || status === 304 ? 0 : bodyBytes();
    const { metrics } = ops;
    metrics.requests.inc({ route, method: methodLabel(ctx.method), status: String(status) });
    metrics.duration.observe({ route }, seconds);
    if (bytes > 0) metrics.bytesServed.inc({ route }, bytes);
    const kind = UPLOAD_KINDS[route];
    if (kind && (status >= 400 || !finished)) {
      metrics.uploadFailures.inc({ kind, reason: !finished ? 'aborted' : status >= 500 ? 'server' : 'client' });
    }
    const actor = ctx.resolvedActor;
    const length = Number(req.headers['content-length']);
    log.emit(QUIET_ROUTES.has(route) ? 'debug' : 'info', 'request', {
      request_id: ctx.requestId,
      method: ctx.method,
      route,
      path: ctx.rawPath.slice(0, 1000),
      status,
      duration_ms: Math.round(seconds * 10_000) / 10,
      bytes,
      ...(Number.isSafeInteger(length) && length > 0 ? { request_bytes: length } : {}),
      ...(finished ? {} : { aborted: true }),
      ...(actor?.kind === 'user' ? { user_id: actor.user.id, user: actor.user.name } : {}),
      client: ctx.clientIp,
      user_agent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 200) : undefined,
    });
    ops.requestDone();
  });
}
