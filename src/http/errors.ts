import { type ErrorCode, HubError, isHubError } from '../core/errors.js';
import { log } from '../core/log.js';
import { ANONYMOUS } from '../auth/actor.js';
import { errorPage } from '../ui/layout.js';
import type { Ctx } from './context.js';

/** The only place that knows how an error code becomes an HTTP status. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  RepoNotFound: 404,
  RevisionNotFound: 404,
  EntryNotFound: 404,
  GatedRepo: 403,
  BadRequest: 400,
  InvalidCredentials: 401,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  PreconditionFailed: 412,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  RangeNotSatisfiable: 416,
  UnprocessableEntity: 422,
  TooManyRequests: 429,
  // RFC 4331 (quotas): a request that would exceed the caller's storage quota gets 507.
  QuotaExceeded: 507,
  NotImplemented: 501,
  BadGateway: 502,
  // 504, not 503: PY treats 503 as retryable for a long time; a mirror that cannot reach upstream should fail fast.
  UpstreamUnavailable: 504,
  ServiceUnavailable: 503,
  Internal: 500,
};

/** HTTP header values must be latin-1 without line breaks. */
function headerSafe(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 1000);
}

/**
 * Writes any error in the hub's format: status, `X-Error-Code`,
 * `X-Error-Message` and a JSON body with `error` (spec 1.4). git-lfs reads a
 * `message` field instead, and git needs a Basic challenge to send credentials.
 */
export function sendError(ctx: Ctx, err: unknown): void {
  const { res } = ctx;
  let hubErr: HubError;
  if (isHubError(err)) hubErr = err;
  else if (ctx.req.destroyed && ((err as NodeJS.ErrnoException)?.code === 'ECONNRESET' || (err as Error)?.message === 'aborted')) {
    // The client went away (a cancelled upload): nothing to answer, nothing to report.
    res.destroy();
    return;
  } else {
    log.error('internal error', err, { request_id: ctx.requestId, method: ctx.method, path: ctx.rawPath });
    hubErr = new HubError('Internal', `Internal error (request id ${ctx.requestId})`);
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const anonymous = !ctx.resolvedActor || ctx.resolvedActor.kind === 'anonymous';
  if (ctx.errorFlavor === 'html') {
    sendHtmlError(ctx, hubErr, anonymous);
    return;
  }
  let status = STATUS_BY_CODE[hubErr.code];
  // The Hub answers 401 to anonymous callers for missing or private repos, so
  // that clients prompt for a token; authenticated callers get 404 (spec 1.4).
  if ((hubErr.code === 'RepoNotFound' || hubErr.code === 'GatedRepo') && anonymous) status = 401;
  const headers: Record<string, string> = {
    'Content-Type': ctx.errorFlavor === 'lfs' ? 'application/vnd.git-lfs+json' : 'application/json; charset=utf-8',
    'X-Error-Message': headerSafe(hubErr.message),
    ...hubErr.headers,
  };
  if (hubErr.code !== 'Internal') headers['X-Error-Code'] = hubErr.code;
  if (status === 401) {
    if (ctx.errorFlavor === 'git') headers['WWW-Authenticate'] = 'Basic realm="Orchard", charset="UTF-8"';
    if (ctx.errorFlavor === 'lfs') headers['LFS-Authenticate'] = 'Basic realm="Git LFS"';
  }
  const body =
    ctx.errorFlavor === 'lfs'
      ? { message: hubErr.message, error: hubErr.message, request_id: ctx.requestId }
      : { error: hubErr.message, ...hubErr.body };
  const text = JSON.stringify(body);
  headers['Content-Length'] = String(Buffer.byteLength(text));
  // Drain what the client is still sending so that it reads our answer instead of a reset.
  if (!ctx.req.readableEnded) ctx.req.resume();
  res.writeHead(status, headers);
  res.end(ctx.method === 'HEAD' ? undefined : text);
}

/**
 * Web pages get an HTML error page. A missing repo and a private one look
 * exactly the same (404), to everyone; the page suggests signing in.
 */
function sendHtmlError(ctx: Ctx, err: HubError, anonymous: boolean): void {
  const status = err.code === 'RepoNotFound' ? 404 : STATUS_BY_CODE[err.code];
  const message =
    err.code === 'RepoNotFound'
      ? `This repository does not exist${anonymous ? ', or it is private: sign in to see it if you have access' : ', or you do not have access to it'}.`
      : err.code === 'Internal' ? `Something went wrong on our side (request ${ctx.requestId}).` : err.message;
  const text = errorPage({ actor: ctx.resolvedActor ?? ANONYMOUS, baseUrl: ctx.baseUrl, csrfToken: undefined }, status, message);
  if (!ctx.req.readableEnded) ctx.req.resume();
  ctx.res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), 'X-Error-Message': headerSafe(err.message) });
  ctx.res.end(ctx.method === 'HEAD' ? undefined : text);
}
