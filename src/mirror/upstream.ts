import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HubError } from '../core/errors.js';
import type { RepoType } from '../core/repo-id.js';

export interface UpstreamOptions {
  /** Base URL, without a trailing slash. */
  url: string;
  token: string | undefined;
  offline: boolean;
  /** Time allowed for upstream's response headers. */
  timeoutMs: number;
}

/** The errors upstream may name in `X-Error-Code` that mean the same here (spec 1.4). */
const PASSED_ON = new Set(['RepoNotFound', 'RevisionNotFound', 'EntryNotFound', 'GatedRepo']);

const PLURAL: Record<RepoType, string> = { model: 'models', dataset: 'datasets', space: 'spaces' };

/** `/{P}` prefix of resolve URLs: models have none (spec 1.1). */
export function urlPrefix(type: RepoType): string {
  return type === 'model' ? '' : `/${PLURAL[type]}`;
}

export function apiPlural(type: RepoType): string {
  return PLURAL[type];
}

/** `a/b c` → `a/b%20c`: each path segment encoded, slashes kept. */
export function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/**
 * The one door to the upstream hub. It adds the server's token (clients never
 * see it), bounds the wait for an answer (a mirror must fail, never hang), and
 * turns upstream's failures into the hub's own errors: the four codes clients
 * act on are passed through with `X-Repo-Commit`, anything else upstream says
 * is a BadGateway, and no answer at all is UpstreamUnavailable.
 */
export class Upstream {
  constructor(readonly opts: UpstreamOptions) {}

  /** A path and query on upstream for a URL upstream sent (a `Link` header's target, absolute or not). */
  localPath(target: string): string {
    const base = new URL(this.opts.url);
    const u = new URL(target, base);
    const prefix = base.pathname.replace(/\/+$/, '');
    const p = prefix && u.pathname.startsWith(prefix + '/') ? u.pathname.slice(prefix.length) : u.pathname;
    return p + u.search;
  }

  get offline(): boolean {
    return this.opts.offline;
  }

  /**
   * Sends one request; resolves with the response when its status is 2xx/3xx.
   * `signal` lets a caller stop a body it no longer wants.
   */
  async request(pathAndQuery: string, init: { method?: string; headers?: Record<string, string>; body?: string | ReadableStream<Uint8Array>; redirect?: RequestRedirect; signal?: AbortSignal; passStatuses?: number[] } = {}): Promise<Response> {
    if (this.opts.offline) throw new HubError('UpstreamUnavailable', 'This hub is offline and does not hold this in its cache');
    const headers: Record<string, string> = { 'user-agent': 'orchard-mirror', ...init.headers };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    // Bounds the wait for the headers only: a large body may take as long as it takes (the
    // object cache watches it for stalls instead).
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.opts.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
    let res: Response;
    try {
      // A streamed body (git's pack negotiation) needs half duplex (undici).
      const stream = typeof init.body === 'object' ? { duplex: 'half' } : {};
      res = await fetch(this.opts.url + pathAndQuery, { method: init.method ?? 'GET', headers, body: init.body, redirect: init.redirect ?? 'follow', signal, ...stream } as RequestInit);
    } catch (err) {
      const why = timeout.signal.aborted ? `no answer within ${this.opts.timeoutMs} ms` : errorText(err);
      throw new HubError('UpstreamUnavailable', `The upstream hub could not be reached (${why}) and this is not cached`);
    } finally {
      clearTimeout(timer);
    }
    if (res.status < 400 || init.passStatuses?.includes(res.status)) return res;
    await res.body?.cancel().catch(() => undefined);
    throw upstreamError(res);
  }

  /**
   * A GET whose body is large (file contents), on node:http rather than
   * fetch: its Buffers go straight to the cache's writes and hash, where
   * fetch's web stream cost a third of a cold fill's CPU (bench/mirror.ts).
   * Redirects are followed (an LFS file's bytes may live on object storage);
   * the token goes to upstream's own origin only.
   */
  async stream(pathAndQuery: string, init: { headers?: Record<string, string>; signal?: AbortSignal; passStatuses?: number[] } = {}): Promise<StreamedAnswer> {
    if (this.opts.offline) throw new HubError('UpstreamUnavailable', 'This hub is offline and does not hold this in its cache');
    const origin = new URL(this.opts.url).origin;
    let url = new URL(this.opts.url + pathAndQuery);
    for (let hops = 0; hops <= 5; hops++) {
      const headers: Record<string, string> = { 'user-agent': 'orchard-mirror', ...init.headers };
      if (this.opts.token && url.origin === origin) headers.authorization = `Bearer ${this.opts.token}`;
      const res = await this.get(url, headers, init.signal);
      const status = res.statusCode ?? 502;
      const header = (name: string): string | undefined => {
        const v = res.headers[name.toLowerCase()];
        return Array.isArray(v) ? v.join(', ') : v;
      };
      if (status >= 300 && status < 400 && header('location')) {
        res.resume();
        url = new URL(header('location')!, url);
        continue;
      }
      if (status < 400 || init.passStatuses?.includes(status)) return { status, header, body: res };
      res.resume();
      throw errorFor(status, header);
    }
    throw new HubError('BadGateway', 'Upstream redirected too many times');
  }

  private get(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method: 'GET', headers, signal }, resolve);
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      req.on('response', () => clearTimeout(timer));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(new HubError('UpstreamUnavailable', `The upstream hub could not be reached (${errorText(err)}) and this is not cached`));
      });
      req.end();
    });
  }

  async json<T>(pathAndQuery: string, init: { method?: string; body?: string } = {}): Promise<{ body: T; res: Response }> {
    const res = await this.request(pathAndQuery, { ...init, headers: init.body ? { 'content-type': 'application/json' } : {} });
    try {
      return { body: (await res.json()) as T, res };
    } catch {
      throw new HubError('BadGateway', `The upstream hub sent a malformed answer to ${pathAndQuery.split('?')[0]}`);
    }
  }
}

/** A streamed answer of `Upstream.stream`: node's own message, Buffers as they come off the socket. */
export interface StreamedAnswer {
  status: number;
  header(name: string): string | undefined;
  body: IncomingMessage;
}

function errorText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function upstreamError(res: Response): HubError {
  return errorFor(res.status, (name) => res.headers.get(name) ?? undefined);
}

function errorFor(status: number, header: (name: string) => string | undefined): HubError {
  const code = header('x-error-code') ?? '';
  const message = header('x-error-message') ?? `upstream answered ${status}`;
  const commit = header('x-repo-commit');
  const headers = commit ? { 'X-Repo-Commit': commit } : undefined;
  if (PASSED_ON.has(code)) return new HubError(code as 'RepoNotFound', message, { headers });
  // The public Hub answers 401 for repos that do not exist or that the token may not see (spec 1.4).
  if (status === 401 || status === 404) return new HubError('RepoNotFound', `Upstream: ${message}`);
  if (status === 403) return new HubError('Forbidden', `Upstream refused: ${message}`);
  if (status === 429) {
    const after = header('retry-after');
    return new HubError('TooManyRequests', `Upstream is rate-limiting this mirror: ${message}`, { headers: after ? { 'Retry-After': after } : undefined });
  }
  return new HubError('BadGateway', `Upstream answered ${status}: ${message}`);
}

