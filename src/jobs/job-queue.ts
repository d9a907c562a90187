/**
 * The hub's background work queue (docs/operations.md, "Background jobs").
 *
 * Work is added by task name with a JSON payload and run by the handler of
 * that name. Two implementations share these semantics:
 *
 * - PostgreSQL: graphile-worker (`graphile-queue.ts`). Jobs live in its own
 *   schema in the hub's database, so every hub process on that database
 *   shares one queue and each job runs once.
 * - SQLite: an in-process runner (`in-process-queue.ts`). A SQLite hub is one
 *   process, so the queue is a structure in memory; what it would lose on a
 *   crash is rebuilt at start-up from the rows the jobs are about (pending
 *   webhook deliveries, scheduled replications).
 *
 * Semantics both keep:
 * - `queueName`: jobs of one named queue run one at a time (a serial queue),
 *   earliest `runAt` first, then in the order they were added.
 * - `runAt`: not before then.
 * - `jobKey`: at most one waiting job per key. Adding again replaces the
 *   waiting job (its payload, and its `runAt` unless `jobKeyMode` is
 *   `preserve_run_at`); if the keyed job is running, a new one is queued
 *   behind it, because the running one may have read the world too early.
 * - A handler that throws is retried with the queue's own back-off until
 *   `maxAttempts`; handlers that need their own retry policy (webhooks) catch
 *   their failures and add themselves again with a `runAt`.
 * - `stop` takes no new jobs and waits for the running ones; their signal is
 *   aborted after `abortAfterMs` (0: at once).
 */

export type JobPayload = Record<string, unknown>;

export interface AddJobOptions {
  /** Jobs sharing this name run one at a time, in order. */
  queueName?: string;
  /** Not before this time (default: now). */
  runAt?: Date;
  /** De-duplication key: at most one waiting job per key. */
  jobKey?: string;
  /** `replace` (default) moves a waiting keyed job to the new `runAt`; `preserve_run_at` keeps its time. */
  jobKeyMode?: 'replace' | 'preserve_run_at';
  /** Runs of a handler that throws, before the job is given up (default 25). */
  maxAttempts?: number;
}

export interface JobContext {
  /** Aborted when the hub stops and the grace period is over. */
  signal: AbortSignal;
  /** 1 for the first run. */
  attempt: number;
  maxAttempts: number;
}

export type TaskHandler = (payload: JobPayload, ctx: JobContext) => Promise<void>;
export type TaskList = Record<string, TaskHandler>;

export interface StopOptions {
  /** How long running jobs may go on before their signal is aborted (default 0: at once). */
  abortAfterMs?: number;
}

export interface JobQueue {
  readonly backend: 'graphile-worker' | 'in-process';
  /** Adds a job; it may be added before `start` (it runs once the queue starts). */
  add(task: string, payload: JobPayload, opts?: AddJobOptions): Promise<void>;
  /** Starts running jobs with these handlers. */
  start(tasks: TaskList): Promise<void>;
  /** Takes no new jobs, lets the running ones finish (see `StopOptions`), and frees its connections. */
  stop(opts?: StopOptions): Promise<void>;
  /** Jobs not given up: waiting, scheduled and running (for the `orchard_queue_depth` gauge). */
  pending(): Promise<number>;
}

export const DEFAULT_MAX_ATTEMPTS = 25;

/** The back-off between runs of a handler that threw: graphile-worker's, e^min(attempts,10) seconds, used by both. */
export function handlerRetryDelayMs(attempts: number): number {
  return Math.round(Math.exp(Math.min(attempts, 10)) * 1000);
}
