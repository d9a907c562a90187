import { sql } from 'kysely';
import type { Hub } from '../services/hub.js';

/**
 * The checks behind `/readyz`: can this process serve requests now? Each
 * check has a short time limit, because a load balancer's probe that hangs
 * is worse than one that fails.
 */

export interface CheckResult {
  ok: boolean;
  /** How long the check took, in milliseconds. */
  ms: number;
  /** Why it failed (the underlying error's message). */
  error?: string;
}

/** A key no object can have (sha256 of nothing is e3b0…; this one is all zeros), so `stat` asks the store and finds nothing. */
const PROBE_OID = '0'.repeat(64);

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  // The probe may still settle after the deadline: its outcome is of no interest then.
  p.catch(() => undefined);
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

async function timed(fn: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  try {
    await withTimeout(fn(), timeoutMs);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err) };
  }
}

/** The database answers a trivial query, and the blob store answers a `stat`. */
export async function dependencyChecks(hub: Hub, timeoutMs: number): Promise<Record<string, CheckResult>> {
  const [database, storage] = await Promise.all([
    timed(() => sql`select 1`.execute(hub.db), timeoutMs),
    timed(() => hub.blobs.stat(PROBE_OID), timeoutMs),
  ]);
  return { database, storage };
}
