import { HubError } from '../core/errors.js';
import { addressBucket } from './client-address.js';
import type { Ctx } from './context.js';

/** A rule: `limit` requests per `windowMs`, refilled continuously (a token bucket of `limit` tokens). */
export interface RatePolicy {
  /** names the limit in the `RateLimit` headers: `api`, `login` */
  name: string;
  limit: number;
  windowMs: number;
}

export interface TakeResult {
  allowed: boolean;
  /** whole tokens left after this request */
  remaining: number;
  /** when refused: how long until the request would be allowed */
  retryAfterMs: number;
}

/**
 * Where the buckets live. `take` refills a bucket for the time elapsed, then
 * takes one token if at least `1 - overdraft` are left (a bucket may go
 * `overdraft` tokens into debt). A refused request takes nothing.
 *
 * `MemoryRateLimitStore` counts per process: several hub processes behind one
 * load balancer would each allow the full rate. They will need a shared store
 * (the database or Redis) implementing this same interface: a later issue.
 */
export interface RateLimitStore {
  take(key: string, policy: RatePolicy, overdraft: number): TakeResult | Promise<TakeResult>;
  /** Forgets a bucket (e.g. after a successful login). */
  reset(key: string): void | Promise<void>;
}

interface Bucket {
  tokens: number;
  at: number;
  /** when the bucket is full again, and so the same as no bucket at all */
  fullAt: number;
}

/** Token buckets in a Map, with full buckets swept away so that memory follows the active callers only. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, Bucket>();
  private takes = 0;

  constructor(
    private readonly now: () => number = Date.now,
    /** above this many buckets, full ones are swept and then the oldest dropped (a dropped bucket starts full again) */
    private readonly maxBuckets = 100_000,
  ) {}

  take(key: string, policy: RatePolicy, overdraft: number): TakeResult {
    const now = this.now();
    const rate = policy.limit / policy.windowMs;
    const old = this.buckets.get(key);
    let tokens = old ? Math.min(policy.limit, old.tokens + (now - old.at) * rate) : policy.limit;
    const needed = 1 - overdraft;
    const allowed = tokens >= needed;
    if (allowed) tokens -= 1;
    // Re-inserting keeps the Map in least-recently-used order for `sweep`.
    this.buckets.delete(key);
    this.buckets.set(key, { tokens, at: now, fullAt: now + (policy.limit - tokens) / rate });
    if (++this.takes % 1000 === 0 || this.buckets.size > this.maxBuckets) this.sweep(now);
    return {
      allowed,
      remaining: Math.max(0, Math.floor(tokens)),
      retryAfterMs: allowed ? 0 : (needed - tokens) / rate,
    };
  }

  reset(key: string): void {
    this.buckets.delete(key);
  }

  /** How many buckets are held (for tests). */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    for (const [key, b] of this.buckets) if (b.fullAt <= now) this.buckets.delete(key);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxBuckets) break;
      this.buckets.delete(key);
    }
  }
}

/** Limits in requests per window; 0 turns a limit off. */
export interface RateLimitSettings {
  perToken: number;
  perIp: number;
  windowSeconds: number;
  loginAttempts: number;
  loginWindowSeconds: number;
}

/**
 * How a request counts. Most requests *open* an operation and are refused
 * when the bucket is empty. The requests that carry on an operation already
 * admitted (git's `upload-pack`/`receive-pack` POSTs after `info/refs`, LFS
 * object transfers and verify after the batch) still take a token but may
 * run the bucket into debt, up to one whole window's worth, so that a clone
 * or an upload that has started is not cut in the middle; the caller's next
 * operation waits for the debt to refill. A client skipping the opening step
 * gets at most twice the rate. Health checks and the pre-receive hook's
 * loopback calls do not count.
 */
export function requestClass(method: string, rawPath: string): 'exempt' | 'opening' | 'continuation' {
  if (rawPath === '/' || rawPath === '/healthz' || rawPath.startsWith('/internal/')) return 'exempt';
  if (method === 'POST' && /\/git-(upload|receive)-pack$/.test(rawPath)) return 'continuation';
  if (/\/info\/lfs\/objects\/[0-9a-f]{64}$/.test(rawPath) || (method === 'POST' && rawPath.endsWith('/info/lfs/verify'))) return 'continuation';
  return 'opening';
}

/** Actions that count their own attempts, with their own, stricter bucket. */
export type LimitedAction = 'login';

/**
 * The hub's rate limits: every request per token (or session) when
 * authenticated, else per client address (spec 1.4: 429 + `Retry-After`,
 * which the Python client waits for and retries); and login attempts per
 * address and user name.
 */
export class RateLimits {
  constructor(
    private readonly settings: RateLimitSettings,
    private readonly store: RateLimitStore = new MemoryRateLimitStore(),
  ) {}

  /** Counts one request against its caller, or throws `TooManyRequests`. */
  async checkRequest(ctx: Ctx): Promise<void> {
    const { perToken, perIp, windowSeconds } = this.settings;
    if (!perToken && !perIp) return;
    const kind = requestClass(ctx.method, ctx.rawPath);
    if (kind === 'exempt') return;
    let key: string;
    let limit: number;
    try {
      const actor = await ctx.actor();
      if (actor.kind === 'user') {
        key = actor.token ? `token:${actor.token.id}` : `user:${actor.user.id}`;
        limit = perToken;
      } else {
        key = `ip:${addressBucket(ctx.clientIp)}`;
        limit = perIp;
      }
    } catch {
      // Bad credentials count against the address; the route then answers 401 itself.
      key = `ip:${addressBucket(ctx.clientIp)}`;
      limit = perIp;
    }
    if (!limit) return;
    const policy = { name: 'api', limit, windowMs: windowSeconds * 1000 };
    const result = await this.store.take(key, policy, kind === 'continuation' ? limit : 0);
    if (!result.allowed) {
      if (ctx.rawPath.includes('/info/lfs/')) ctx.errorFlavor = 'lfs';
      throw tooMany(policy, result, 'Too many requests: slow down and retry after the time in the Retry-After header');
    }
  }

  /**
   * Counts one attempt of `action` (a login) for `key` (the user name) from
   * the caller's address, or throws `TooManyRequests`. Call it before
   * checking the password, so that refused attempts cost nothing.
   */
  async check(ctx: Ctx, action: LimitedAction, key: string): Promise<void> {
    const { loginAttempts, loginWindowSeconds } = this.settings;
    if (!loginAttempts) return;
    const policy = { name: action, limit: loginAttempts, windowMs: loginWindowSeconds * 1000 };
    const result = await this.store.take(this.actionKey(ctx, action, key), policy, 0);
    if (!result.allowed) throw tooMany(policy, result, `Too many ${action} attempts for this account from your address; retry after the time in the Retry-After header`);
  }

  /** Forgets the attempts of `action` for `key` from the caller's address (after a successful login, say). */
  async reset(ctx: Ctx, action: LimitedAction, key: string): Promise<void> {
    await this.store.reset(this.actionKey(ctx, action, key));
  }

  private actionKey(ctx: Ctx, action: LimitedAction, key: string): string {
    return `${action}:${addressBucket(ctx.clientIp)}:${key.toLowerCase()}`;
  }
}

/**
 * 429 with `Retry-After` in whole seconds, and the IETF draft `RateLimit`
 * headers in the form the Python client parses (`"api";r=0;t=55`).
 */
function tooMany(policy: RatePolicy, result: TakeResult, message: string): HubError {
  const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  return new HubError('TooManyRequests', message, {
    headers: {
      'Retry-After': String(seconds),
      RateLimit: `"${policy.name}";r=${result.remaining};t=${seconds}`,
      'RateLimit-Policy': `"token bucket";"${policy.name}";q=${policy.limit};w=${Math.round(policy.windowMs / 1000)}`,
    },
  });
}
