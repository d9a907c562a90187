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

  async json<T>(pathAndQuery: string, init: { method?: string; body?: string } = {}): Promise<{ body: T; res: Response }> {
    const res = await this.request(pathAndQuery, { ...init, headers: init.body ? { 'content-type': 'application/json' } : {} });
    try {
      return { body: (await res.json()) as T, res };
    } catch {
      throw new HubError('BadGateway', `The upstream hub sent a malformed answer to ${pathAndQuery.split('?')[0]}`);
    }
  }
}

function errorText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function upstreamError(res: Response): HubError {
  const code = res.headers.get('x-error-code') ?? '';
  const message = res.headers.get('x-error-message') ?? `upstream answered ${res.status}`;
  const commit = res.headers.get('x-repo-commit');
  const headers = commit ? { 'X-Repo-Commit': commit } : undefined;
  if (PASSED_ON.has(code)) return new HubError(code as 'RepoNotFound', message, { headers });
  // The public Hub answers 401 for repos that do not exist or that the token may not see (spec 1.4).
  if (res.status === 401 || res.status === 404) return new HubError('RepoNotFound', `Upstream: ${message}`);
  if (res.status === 403) return new HubError('Forbidden', `Upstream refused: ${message}`);
  if (res.status === 429) return new HubError('TooManyRequests', `Upstream is rate-limiting this mirror: ${message}`, { headers: retryAfter(res) });
  return new HubError('BadGateway', `Upstream answered ${res.status}: ${message}`);
}

function retryAfter(res: Response): Record<string, string> | undefined {
  const v = res.headers.get('retry-after');
  return v ? { 'Retry-After': v } : undefined;
}
