import type { MirrorCache } from '../mirror/cache-service.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ANONYMOUS, type Actor } from '../auth/actor.js';
import { authenticateSession, csrfTokenMatches, SESSION_COOKIE, type SessionInfo } from '../auth/sessions.js';
import { authenticateToken, invalidCredentials } from '../auth/tokens.js';
import { HubError } from '../core/errors.js';
import type { Hub } from '../services/hub.js';
import { readCookie } from './cookies.js';
import type { RateLimits } from './rate-limit.js';

/** How errors are written: the HF JSON format, or git-lfs's, or git's (which needs a Basic challenge). */
export type ErrorFlavor = 'api' | 'lfs' | 'git' | 'html';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** One request as the routes see it. */
export class Ctx {
  readonly url: URL;
  /** The path as sent, still percent-encoded: segments are decoded one by one after routing (spec 1.2). */
  readonly rawPath: string;
  errorFlavor: ErrorFlavor = 'api';
  private actorPromise: Promise<Actor> | undefined;
  /** Set once the actor is known, so that the error edge can answer 401 to anonymous callers. */
  resolvedActor: Actor | undefined;
  /** The browser session, when the actor came from the session cookie. */
  session: SessionInfo | undefined;
  /** The client's address: the socket's, or the trusted proxy's `X-Forwarded-For` hop (set by the app). */
  clientIp: string | undefined;
  /** The hub's rate limits, for routes that count their own attempts: `ctx.rateLimits?.check(ctx, 'login', name)`. */
  rateLimits: RateLimits | undefined;
  /** The pull-through cache, when this hub mirrors another (docs/mirror.md). */
  mirror: MirrorCache | undefined;
  /** The background job queue (docs/operations.md), for routes that hand work to it (dataset exports). */
  jobs!: JobQueue;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly hub: Hub,
    readonly baseUrl: string,
    readonly requestId: string,
  ) {
    this.clientIp = req.socket.remoteAddress;
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    this.rawPath = q >= 0 ? raw.slice(0, q) : raw;
    this.url = new URL(raw.startsWith('/') ? raw : `/${raw}`, 'http://orchard.invalid');
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  /** The caller, from `Authorization: Bearer` (API), Basic with the token as password (git, git-lfs), or the session cookie (web UI). */
  actor(): Promise<Actor> {
    this.actorPromise ??= this.resolveActor().then((a) => {
      this.resolvedActor = a;
      return a;
    });
    return this.actorPromise;
  }

  private async resolveActor(): Promise<Actor> {
    const header = this.req.headers.authorization;
    if (!header) return this.resolveSession();
    const space = header.indexOf(' ');
    const scheme = (space > 0 ? header.slice(0, space) : header).toLowerCase();
    const value = space > 0 ? header.slice(space + 1).trim() : '';
    if (scheme === 'bearer') return authenticateToken(this.hub.db, value);
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const password = colon >= 0 ? decoded.slice(colon + 1) : decoded;
      if (!password) return ANONYMOUS;
      return authenticateToken(this.hub.db, password);
    }
    throw invalidCredentials();
  }

  /**
   * The session cookie stands for its user when no Authorization header is
   * sent; an unknown or expired one is ignored. CSRF is checked here, where
   * every route gets its actor, so no route can forget it: a cookie-authenticated
   * request other than GET/HEAD/OPTIONS must echo the session's token in `X-CSRF-Token`.
   * Token-authenticated requests carry no ambient credential and are not concerned.
   */
  private async resolveSession(): Promise<Actor> {
    const cookie = readCookie(this.req.headers.cookie, SESSION_COOKIE);
    if (!cookie) return ANONYMOUS;
    const found = await authenticateSession(this.hub.db, cookie);
    if (!found) return ANONYMOUS;
    if (!SAFE_METHODS.has(this.method) && !csrfTokenMatches(this.req.headers['x-csrf-token'], found.session.csrfToken)) {
      throw new HubError('Forbidden', 'Missing or wrong X-CSRF-Token header: cookie-authenticated writes must send the session\'s CSRF token');
    }
    this.session = found.session;
    return found.actor;
  }

  /** Query flag parsed the way clients send it: true/false in any case, 1/0 (spec 1.6). */
  flag(name: string, fallback = false): boolean {
    const v = this.url.searchParams.get(name);
    if (v === null) return fallback;
    const l = v.toLowerCase();
    if (l === 'true' || l === '1' || l === '') return true;
    if (l === 'false' || l === '0') return false;
    return fallback;
  }

  /** Repeated list parameter, accepting both `key=` and `key[]=` forms. */
  list(name: string): string[] {
    return [...this.url.searchParams.getAll(name), ...this.url.searchParams.getAll(`${name}[]`)];
  }
}

/** The audit source of a request: its actor and the client address. */
export async function auditSource(ctx: Ctx): Promise<{ actor: Actor; ip: string | undefined }> {
  return { actor: await ctx.actor(), ip: ctx.clientIp };
}
