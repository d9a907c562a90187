import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Actor } from '../auth/actor.js';
import { loadMemberships, rowToUser } from '../auth/tokens.js';
import { HubError, isHubError, type ErrorCode } from '../core/errors.js';
import { log } from '../core/log.js';
import { nowIso } from '../core/time.js';
import type { RepoRow } from './repos.js';
import type { ExportJobsTable } from '../db/schema-export-jobs.js';
import type { JobQueue, TaskList } from '../jobs/job-queue.js';
import { isUniqueViolation } from './dataset-export.js';
import type { Hub } from './hub.js';

/**
 * Dataset exports (feedback → dataset, arena votes → dataset) run as background jobs: the request checks
 * who asks and what, records an `export_jobs` row and queues the job; whichever hub process takes the job
 * runs the export once (graphile-worker on PostgreSQL, in process on SQLite). The request then waits a
 * while for the outcome and answers with it, or answers 202 with the export's id to poll
 * (`GET /api/exports/{id}`). A second request for the same source and dataset while one is unfinished
 * joins it. The export itself stays idempotent through its claim tables (dataset-export.ts), so a job run
 * again after a crash writes nothing twice.
 */
export const EXPORT_TASK = 'dataset-export';

export type ExportKind = 'feedback' | 'arena';

/** What runs one export, given the job's row: feedback-export.ts and arena-export.ts provide them. */
export type ExportRunner = (hub: Hub, actor: Actor, job: ExportJob, dataset: RepoRow) => Promise<Record<string, unknown>>;

export interface ExportJob {
  id: string;
  kind: ExportKind;
  sourceId: string;
  datasetRepoId: string;
  createdDataset: boolean;
  params: Record<string, unknown>;
  status: 'queued' | 'running' | 'done' | 'failed';
  /** The export's result when done. */
  result?: Record<string, unknown>;
  /** Why it failed. */
  error?: { code: ErrorCode; message: string };
  userId: string;
  createdAt: string;
  updatedAt: string;
}

function toJob(row: ExportJobsTable): ExportJob {
  const stored = row.result ? (JSON.parse(row.result) as Record<string, unknown>) : undefined;
  return {
    id: row.id,
    kind: row.kind as ExportKind,
    sourceId: row.source_id,
    datasetRepoId: row.dataset_repo_id,
    createdDataset: row.created_dataset === 1,
    params: JSON.parse(row.params) as Record<string, unknown>,
    status: row.status as ExportJob['status'],
    ...(row.status === 'done' && stored ? { result: stored } : {}),
    ...(row.status === 'failed' && stored ? { error: stored as unknown as ExportJob['error'] } : {}),
    userId: row.user_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function findExportJob(hub: Hub, id: string): Promise<ExportJob | undefined> {
  const row = await hub.db.selectFrom('export_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toJob(row) : undefined;
}

/** Records an export and queues it, or returns the unfinished one of the same source and dataset. */
export async function submitExport(
  hub: Hub,
  queue: JobQueue,
  spec: { kind: ExportKind; sourceId: string; dataset: RepoRow; createdDataset: boolean; userId: string; params: Record<string, unknown> },
): Promise<ExportJob> {
  const active = (): Promise<ExportJobsTable | undefined> =>
    hub.db.selectFrom('export_jobs').selectAll()
      .where('kind', '=', spec.kind).where('source_id', '=', spec.sourceId).where('dataset_repo_id', '=', spec.dataset.id)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
  const existing = await active();
  if (existing) return toJob(existing);
  const now = nowIso();
  const id = randomUUID();
  try {
    await hub.db.insertInto('export_jobs').values({
      id, kind: spec.kind, source_id: spec.sourceId, dataset_repo_id: spec.dataset.id, created_dataset: spec.createdDataset ? 1 : 0,
      user_id: spec.userId, params: JSON.stringify(spec.params), status: 'queued', result: null, created_at: now, updated_at: now,
    }).execute();
  } catch (err) {
    // Another request (maybe in another process) recorded one in between: join it.
    if (!isUniqueViolation(err)) throw err;
    const other = await active();
    if (other) return toJob(other);
    throw err;
  }
  await enqueue(queue, id, spec.dataset.id);
  return (await findExportJob(hub, id))!;
}

// One export per dataset at a time: its shards are numbered in order.
const enqueue = (queue: JobQueue, id: string, datasetRepoId: string): Promise<void> =>
  queue.add(EXPORT_TASK, { id }, { queueName: `export:${datasetRepoId}`, jobKey: `export:${id}`, maxAttempts: 3 });

/** Waits up to `ms` for the export to end (done or failed), reading its row; returns it as last read. */
export async function waitForExport(hub: Hub, id: string, ms: number): Promise<ExportJob> {
  const until = Date.now() + ms;
  let pause = 25;
  for (;;) {
    const job = await findExportJob(hub, id);
    if (!job) throw new HubError('NotFound', `No export ${id}`);
    if (job.status === 'done' || job.status === 'failed' || Date.now() >= until) return job;
    await sleep(Math.min(pause, Math.max(1, until - Date.now())));
    pause = Math.min(pause * 2, 250);
  }
}

/** The actor a job acts as: the user who asked, with the rights the request already checked. */
async function actorOf(hub: Hub, userId: string): Promise<Actor> {
  const row = await hub.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!row || row.disabled === 1) throw new HubError('Forbidden', 'The account that asked for this export is gone or disabled');
  return { kind: 'user', user: rowToUser(row), token: undefined, memberships: await loadMemberships(hub.db, row.id) };
}

async function settle(hub: Hub, id: string, status: 'done' | 'failed', result: unknown): Promise<void> {
  await hub.db.updateTable('export_jobs').set({ status, result: JSON.stringify(result), updated_at: nowIso() }).where('id', '=', id).execute();
}

/** The job queue's handler for exports. A failure is recorded on the row (no retry: the caller sees why). */
export function exportTasks(hub: Hub, runners: Record<ExportKind, ExportRunner>): TaskList {
  return {
    [EXPORT_TASK]: async (payload) => {
      const job = await findExportJob(hub, String(payload.id));
      // Done, failed, or gone: run at most once to an end. A job found running was cut off by a crash: run it
      // again (its claims make that safe).
      if (!job || job.status === 'done' || job.status === 'failed') return;
      await hub.db.updateTable('export_jobs').set({ status: 'running', updated_at: nowIso() }).where('id', '=', job.id).execute();
      try {
        const dataset = await hub.db.selectFrom('repos').selectAll().where('id', '=', job.datasetRepoId).executeTakeFirst();
        if (!dataset) throw new HubError('RepoNotFound', 'The target dataset was deleted before the export ran');
        const result = await runners[job.kind](hub, await actorOf(hub, job.userId), job, dataset);
        await settle(hub, job.id, 'done', result);
      } catch (err) {
        const error = isHubError(err) ? { code: err.code, message: err.message } : { code: 'Internal' as const, message: 'The export failed on the server' };
        if (!isHubError(err)) log.error('dataset export failed', err, { exportId: job.id });
        await settle(hub, job.id, 'failed', error);
      }
    },
  };
}

/**
 * The in-process queue (SQLite) keeps nothing across a restart: queue again what a stopped hub left
 * unfinished. graphile-worker keeps its jobs in PostgreSQL, so there nothing needs doing.
 */
export async function requeueUnfinishedExports(hub: Hub, queue: JobQueue): Promise<number> {
  if (queue.backend !== 'in-process') return 0;
  const rows = await hub.db.selectFrom('export_jobs').select(['id', 'dataset_repo_id']).where('status', 'in', ['queued', 'running']).execute();
  for (const r of rows) await enqueue(queue, r.id, r.dataset_repo_id);
  return rows.length;
}

/** The JSON of an export for its API. */
export function exportJobJson(job: ExportJob, baseUrl: string): Record<string, unknown> {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    url: `${baseUrl}/api/exports/${job.id}`,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.result ? { result: job.result } : {}),
    ...(job.error ? { error: job.error.message, errorCode: job.error.code } : {}),
  };
}
