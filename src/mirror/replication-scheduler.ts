import { randomUUID } from 'node:crypto';
import { isHubError } from '../core/errors.js';
import { log } from '../core/log.js';
import type { JobQueue, TaskList } from '../jobs/job-queue.js';
import type { Hub } from '../services/hub.js';
import { runLink } from './replicate-run.js';
import { dueLinks } from './replicate-store.js';

export const SCAN_TASK = 'replication.scan';
export const SYNC_TASK = 'replication.sync';

export interface SchedulerOptions {
  /** How often the table is asked for due syncs (one small indexed query, for the whole hub). */
  scanMs?: number;
  /** Where `--token-env` names are looked up: the hub's own environment. */
  env?: NodeJS.ProcessEnv;
}

/** The job key of one replication row's sync: a due row is never queued twice. */
export function syncJobKey(replicationId: string): string {
  return `${SYNC_TASK}:${replicationId}`;
}

/**
 * Runs the scheduled pulls and pushes (`orchard mirror schedule`) inside the
 * running hub, through the hub's job queue (docs/replication.md):
 *
 * - `replication.scan` is one recurring job (one job key, so one for the whole
 *   hub however many processes run): every `scanMs` it asks for the rows whose
 *   time has come and queues a `replication.sync` job for each. Schedules are
 *   written by the CLI, possibly while the hub runs, so the hub has to look;
 *   a scan finds them within `scanMs`.
 * - `replication.sync` runs one row, keyed by the row (never queued twice),
 *   in one serial queue for all syncs: they run one at a time, hub-wide, as
 *   before the queue, so that a burst of heavy git and LFS transfers never
 *   takes every worker slot from webhook deliveries. The row's claim (`replicate-store.ts` `claim`) stays: a CLI sync of the same
 *   repo may run at the same time, and the claim also moves the row's next
 *   run on, so a failing sync waits for its interval instead of retrying.
 *
 * Adds the scan (due now) and returns the handlers for the queue's start.
 * Stopping the queue aborts a running sync once the grace is over; an aborted
 * sync changes no ref, and the row is due again at its next interval.
 */
export async function startReplicationScheduler(hub: Hub, queue: JobQueue, opts: SchedulerOptions = {}): Promise<TaskList> {
  const scanMs = opts.scanMs ?? 5000;
  const env = opts.env ?? {};
  const owner = `scheduler:${process.pid}:${randomUUID().slice(0, 8)}`;
  const scheduleScan = (runAt: Date): Promise<void> => queue.add(SCAN_TASK, {}, { jobKey: SCAN_TASK, runAt });
  await scheduleScan(new Date());
  return {
    [SCAN_TASK]: async (_payload, ctx) => {
      try {
        for (const link of await dueLinks(hub.db, 50)) {
          await queue.add(SYNC_TASK, { id: link.id }, { jobKey: syncJobKey(link.id), queueName: SYNC_TASK, jobKeyMode: 'preserve_run_at' });
        }
      } catch (err) {
        if (!ctx.signal.aborted) log.error('replication scheduler', err);
      } finally {
        if (!ctx.signal.aborted) await scheduleScan(new Date(Date.now() + scanMs));
      }
    },
    [SYNC_TASK]: async (payload, ctx) => {
      const link = await hub.db.selectFrom('replications').selectAll().where('id', '=', String(payload.id)).executeTakeFirst();
      // Unscheduled, deleted, or run by someone else since it was queued: nothing to do.
      if (!link || !link.interval_seconds || !link.next_run_at || Date.parse(link.next_run_at) > Date.now()) return;
      try {
        const r = await runLink(hub, link, owner, env, ctx.signal);
        log.info(`scheduled ${link.direction} done`, { repoId: link.repo_id, remote: `${link.url} ${link.remote_repo}`, lfsObjects: r.lfs.objects });
      } catch (err) {
        // Taken by another sync meanwhile: not an error. Anything else is recorded on the row.
        if (isHubError(err) && err.code === 'Conflict') return;
        if (!ctx.signal.aborted) log.warn(`scheduled ${link.direction} failed: ${(err as Error).message}`, { repoId: link.repo_id, remote: `${link.url} ${link.remote_repo}` });
      }
    },
  };
}
