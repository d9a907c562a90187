import { sql } from 'kysely';
import type { Db, Dialect } from '../db/database.js';
import type { RateLimitStore, RatePolicy, TakeResult } from './rate-limit.js';

/**
 * Token buckets in the database, so that several hub processes behind one
 * load balancer share one limit per caller. Each take is one statement (an
 * upsert that refills, decides and takes, returning the outcome): two
 * processes taking from one bucket at once are serialised by the row, and
 * neither reads a stale count.
 */
export class DatabaseRateLimitStore implements RateLimitStore {
  private takes = 0;
  /** Rows older than two of the longest windows seen are full buckets (login windows are longer than the API's). */
  private longestWindowMs = 0;

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly now: () => number = Date.now,
  ) {}

  async take(key: string, policy: RatePolicy, overdraft: number): Promise<TakeResult> {
    const now = this.now();
    const rate = policy.limit / policy.windowMs;
    const needed = 1 - overdraft;
    // The bucket's tokens refilled for the time elapsed: least() on PostgreSQL, the scalar min() on SQLite.
    const r =
      this.dialect === 'postgres'
        ? sql`least(${policy.limit}::double precision, rate_buckets.tokens + (${now}::bigint - rate_buckets.at) * ${rate}::double precision)`
        : sql`min(${policy.limit}, rate_buckets.tokens + (${now} - rate_buckets.at) * ${rate})`;
    const firstAllowed = policy.limit >= needed;
    const result = await sql<{ tokens: number; allowed: number }>`
      insert into rate_buckets (key, tokens, at, allowed)
      values (${key}, ${firstAllowed ? policy.limit - 1 : policy.limit}, ${now}, ${firstAllowed ? 1 : 0})
      on conflict (key) do update set
        tokens = case when ${r} >= ${needed} then ${r} - 1 else ${r} end,
        allowed = case when ${r} >= ${needed} then 1 else 0 end,
        at = ${now}
      returning tokens, allowed`.execute(this.db);
    const row = result.rows[0]!;
    const tokens = Number(row.tokens);
    const allowed = Number(row.allowed) === 1;
    this.longestWindowMs = Math.max(this.longestWindowMs, policy.windowMs);
    if (++this.takes % 1000 === 0) await this.sweep(now);
    return { allowed, remaining: Math.max(0, Math.floor(tokens)), retryAfterMs: allowed ? 0 : (needed - tokens) / rate };
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('rate_buckets').where('key', '=', key).execute();
  }

  /** Buckets untouched for a whole window are full again: the same as no row. */
  private async sweep(now: number): Promise<void> {
    await this.db.deleteFrom('rate_buckets').where('at', '<', now - 2 * this.longestWindowMs).execute();
  }
}
