import { timingSafeEqual } from 'node:crypto';
import { HubError } from '../core/errors.js';
import type { Hub } from '../services/hub.js';
import type { Ctx } from './context.js';
import { HubMetrics } from './metrics.js';
import { type CheckResult, dependencyChecks } from './readiness.js';
import { sendJson } from './respond.js';

/**
 * The operational side of one hub process (docs/operations.md): liveness
 * (`/healthz`), readiness (`/readyz`), metrics (`/metrics`), the count of
 * requests in flight and the shutting-down state that graceful shutdown
 * (`shutdown.ts`) and the request observer (`request-observer.ts`) share.
 */

export interface OpsOptions {
  hub: Hub;
  /** A bearer token that may read `/metrics` (for Prometheus); undefined for none. */
  metricsToken: string | undefined;
  /** `/metrics` for anyone (the operator filters it in front of the hub). */
  metricsPublic: boolean;
  /** Time limit of each readiness check. */
  readinessTimeoutMs?: number;
}

export type OpsEndpoint = 'healthz' | 'readyz' | 'metrics';

/** Is this a request to one of the operational endpoints? The dispatcher hands them over before rate limits. */
export function opsEndpoint(rawPath: string): OpsEndpoint | undefined {
  return rawPath === '/healthz' || rawPath === '/readyz' || rawPath === '/metrics' ? (rawPath.slice(1) as OpsEndpoint) : undefined;
}

/** `127.0.0.0/8`, `::1` and their IPv4-mapped forms. */
function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

export class Operations {
  readonly metrics = new HubMetrics();
  private stopping = false;
  private inflight = 0;
  private readonly doneListeners = new Set<() => void>();
  private pendingChecks: Promise<Record<string, CheckResult>> | undefined;

  constructor(private readonly opts: OpsOptions) {}

  /** True from the moment shutdown begins: `/readyz` answers 503 and new answers close their connection. */
  get shuttingDown(): boolean {
    return this.stopping;
  }

  beginShutdown(): void {
    this.stopping = true;
  }

  get inFlight(): number {
    return this.inflight;
  }

  requestStarted(): void {
    this.inflight++;
    this.metrics.inFlight.inc();
  }

  requestDone(): void {
    this.inflight--;
    this.metrics.inFlight.dec();
    for (const fn of this.doneListeners) fn();
  }

  /** Calls `fn` after every request that ends; returns the unsubscribe. */
  onRequestDone(fn: () => void): () => void {
    this.doneListeners.add(fn);
    return () => this.doneListeners.delete(fn);
  }

  /** Answers one of the operational endpoints. */
  async route(ctx: Ctx, endpoint: OpsEndpoint): Promise<void> {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
    if (endpoint === 'healthz') return sendJson(ctx, 200, { status: 'ok', name: 'orchard' });
    if (endpoint === 'readyz') return this.readyz(ctx);
    return this.metricsRoute(ctx);
  }

  /**
   * 200 when the database and the blob store answer and the process is not
   * shutting down; else 503 in the hub's error format, naming the failed
   * checks. The underlying errors (which may name internal hosts) are shown
   * only to those who may read the metrics; they are in the logs anyway.
   */
  private async readyz(ctx: Ctx): Promise<void> {
    // Concurrent probes share one round of checks, so that a burst of them costs the database one query.
    if (!this.stopping) {
      this.pendingChecks ??= dependencyChecks(this.opts.hub, this.opts.readinessTimeoutMs ?? 2000).finally(() => (this.pendingChecks = undefined));
    }
    const checks = this.stopping ? {} : await this.pendingChecks!;
    const headers = { 'Cache-Control': 'no-store' };
    // Checked after the checks too: shutdown may have begun while they ran.
    if (this.stopping) {
      throw new HubError('ServiceUnavailable', 'Not ready: this process is shutting down', {
        body: { status: 'unavailable', checks: { ...checks, shutdown: { ok: false, ms: 0, error: 'shutting down' } } },
        headers,
      });
    }
    const all: Record<string, CheckResult> = { ...checks, shutdown: { ok: true, ms: 0 } };
    const failed = Object.keys(all).filter((k) => !all[k]!.ok);
    if (failed.length === 0) return sendJson(ctx, 200, { status: 'ready', checks: all }, headers);
    const detail = this.operator(ctx);
    const shown = Object.fromEntries(Object.entries(all).map(([k, c]) => [k, c.ok || detail ? c : { ...c, error: 'failed' }]));
    throw new HubError('ServiceUnavailable', `Not ready: no answer from the ${failed.join(' and the ')}`, {
      body: { status: 'unavailable', checks: shown },
      headers,
    });
  }

  /** Loopback callers (not through a proxy), the metrics token, or everyone when metrics are public. Asks nothing of the database. */
  private operator(ctx: Ctx): boolean {
    if (this.opts.metricsPublic) return true;
    const header = ctx.req.headers.authorization ?? '';
    const token = this.opts.metricsToken;
    if (token && header.startsWith('Bearer ')) {
      const given = Buffer.from(header.slice(7).trim());
      const expected = Buffer.from(token);
      if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    }
    // A local reverse proxy also connects from loopback: a forwarded request is not a local one.
    return isLoopback(ctx.req.socket.remoteAddress) && ctx.req.headers['x-forwarded-for'] === undefined && ctx.req.headers.forwarded === undefined;
  }

  /**
   * Prometheus text format, for operators and site admins (docs/operations.md says why).
   * Operators are answered without the rate limiter, which may live in the database: metrics
   * must answer when the database does not. Anyone else is rate-limited like any request,
   * so that `/metrics` is no place to try tokens.
   */
  private async metricsRoute(ctx: Ctx): Promise<void> {
    if (!this.operator(ctx)) {
      await ctx.rateLimits?.checkRequest(ctx);
      const actor = await ctx.actor().catch(() => undefined);
      if (!actor || actor.kind !== 'user') {
        throw new HubError('Unauthorized', 'Metrics are served to loopback clients, site admins and the metrics token (ORCHARD_METRICS_TOKEN); see docs/operations.md');
      }
      if (!actor.user.isAdmin) throw new HubError('Forbidden', 'Only site admins may read the metrics');
    }
    const text = await this.metrics.render();
    ctx.res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Content-Length': String(Buffer.byteLength(text)), 'Cache-Control': 'no-store' });
    ctx.res.end(ctx.method === 'HEAD' ? undefined : text);
  }
}
