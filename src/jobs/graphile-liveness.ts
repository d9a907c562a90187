import pg from 'pg';
import { log } from '../core/log.js';

/**
 * Which graphile-worker pools are still alive, told by PostgreSQL itself.
 *
 * graphile-worker locks a job (and its named queue) with the id of the
 * worker pool that runs it, and only frees the lock of a pool that vanished
 * (a SIGKILL, a lost machine) after four hours. Its answer is
 * `force_unlock_workers(ids)` for pools known to be dead. This module makes
 * that knowledge exact: every pool holds a session advisory lock, keyed by
 * its id, on a connection of its own before it takes any job (the
 * `startWorker` hook runs before a worker's first fetch). PostgreSQL drops
 * the lock when the connection goes, so "locked by a pool whose advisory
 * lock nobody holds" means "locked by a dead pool", and those jobs are
 * freed at once.
 *
 * If the liveness connection of a live process is cut while the process goes
 * on, its jobs may be freed and run again elsewhere: delivery is at least
 * once, and the webhook rows' own claims keep a send from happening twice
 * at the same time.
 */

/** First key of the two-key advisory locks ("ORCH"), so that ours never meet another application's. */
export const LIVENESS_LOCK_CLASS = 0x4f524348;

export class PoolLiveness {
  private client: pg.Client | undefined;
  private readonly held = new Map<string, Promise<void>>();
  private closing = false;
  private relocking = false;

  constructor(private readonly connectionString: string) {}

  /** Holds the lock for `poolId` (once per pool, however many workers ask). */
  hold(poolId: string): Promise<void> {
    let p = this.held.get(poolId);
    if (!p) {
      p = this.lock(poolId);
      this.held.set(poolId, p);
      p.catch(() => this.held.delete(poolId));
    }
    return p;
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'orchard-jobs-liveness' });
    client.on('error', (err) => {
      if (!this.closing) log.warn('job queue: the liveness connection failed; reconnecting', { error: err.message });
    });
    client.on('end', () => {
      // Only an established connection's end matters; a failed connect is retried by relock().
      if (this.client !== client) return;
      this.client = undefined;
      if (!this.closing) void this.relock();
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private async lock(poolId: string): Promise<void> {
    const client = await this.connection();
    await client.query('select pg_advisory_lock($1::int4, hashtext($2))', [LIVENESS_LOCK_CLASS, poolId]);
  }

  /** After a lost connection: take every lock again on a new one (retrying while the server is away). */
  private async relock(): Promise<void> {
    if (this.relocking) return;
    this.relocking = true;
    const ids = [...this.held.keys()];
    this.held.clear();
    try {
      while (!this.closing) {
        try {
          for (const id of ids) await this.hold(id);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 1000).unref());
        }
      }
    } finally {
      this.relocking = false;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}

/**
 * Frees the jobs and named queues locked by pools whose liveness lock nobody
 * holds (see above). Returns the pools it found dead.
 */
export async function unlockDeadPools(pool: pg.Pool, schema: string): Promise<string[]> {
  const s = pg.escapeIdentifier(schema);
  const { rows } = await pool.query<{ locked_by: string }>(
    `with lockers as (
       select locked_by from ${s}._private_jobs where locked_by is not null
       union
       select locked_by from ${s}._private_job_queues where locked_by is not null
     )
     select locked_by from lockers
     where not exists (
       select 1 from pg_locks l
       where l.locktype = 'advisory' and l.granted and l.objsubid = 2
         and l.database = (select oid from pg_database where datname = current_database())
         and l.classid = $1::int4::oid and l.objid = hashtext(lockers.locked_by)::oid
     )`,
    [LIVENESS_LOCK_CLASS],
  );
  const dead = rows.map((r) => r.locked_by);
  if (dead.length > 0) {
    await pool.query(`select ${s}.force_unlock_workers($1::text[])`, [dead]);
    log.info('job queue: freed the jobs of stopped worker pools', { pools: dead });
  }
  return dead;
}
