import { EventEmitter } from 'node:events';
import { Logger, makeWorkerUtils, run, type Runner, type Task, type WorkerPool, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { log } from '../core/log.js';
import { PoolLiveness, unlockDeadPools } from './graphile-liveness.js';
import type { AddJobOptions, JobPayload, JobQueue, StopOptions, TaskList } from './job-queue.js';

/**
 * The job queue of a PostgreSQL hub: graphile-worker, through its library
 * API, in its own schema of the hub's database. graphile-worker migrates that
 * schema itself when the queue opens; new jobs wake idle workers of every
 * process through LISTEN/NOTIFY; a job runs in one process only, and jobs of
 * one named queue run one at a time, which is what keeps webhook deliveries
 * of one (webhook, repo) in order across processes.
 *
 * What graphile-worker does not do alone, and this adapter adds:
 * - jobs locked by a process that died are freed at once, not after four
 *   hours (`graphile-liveness.ts`), at start and then every `RECOVER_MS`;
 * - a job this process schedules for later, and the next job of a named
 *   queue whose job just completed here, wake a local worker (a nudge)
 *   instead of waiting for the next poll;
 * - its log lines go through the hub's logger, with info and debug as debug.
 */

declare global {
  namespace GraphileConfig {
    interface Plugins {
      OrchardLivenessPlugin: true;
    }
  }
}

export const GRAPHILE_SCHEMA = 'graphile_worker';
/** How often each process looks for jobs of dead processes. */
const RECOVER_MS = 15_000;
/** graphile-worker polls for jobs that became due (run-at, retries) this often; NOTIFY covers new ones. */
const POLL_MS = 2000;
/** How long after a job of a named queue completes to look for the queue's next job. */
const COMPLETION_NUDGE_MS = 25;
/** After the workers stopped on an error (a database outage), how long before starting them again. */
const RESTART_MS = 5000;

/** graphile-worker's log lines, quietened into the hub's logger. */
const graphileLogger = new Logger((scope) => (level, message) => {
  const fields = { component: 'graphile-worker', ...(scope.label ? { scope: scope.label } : {}), ...(scope.taskIdentifier ? { task: scope.taskIdentifier } : {}), ...(scope.jobId ? { job: scope.jobId } : {}) };
  const l = String(level);
  if (l === 'error') log.error(message, undefined, fields);
  else if (l === 'warning') log.warn(message, fields);
  else log.debug(message, fields);
});

export interface GraphileQueueOptions {
  connectionString: string;
  /** Jobs run at once by this process. */
  concurrency: number;
}

export class GraphileJobQueue implements JobQueue {
  readonly backend = 'graphile-worker';
  private runner: Runner | undefined;
  private workerPool: WorkerPool | undefined;
  private liveness: PoolLiveness | undefined;
  private recoverTimer: NodeJS.Timeout | undefined;
  private readonly nudges = new Set<NodeJS.Timeout>();
  private readonly controllers = new Set<AbortController>();
  private stopping = false;

  private constructor(
    private readonly opts: GraphileQueueOptions,
    private readonly pool: pg.Pool,
    private readonly utils: WorkerUtils,
  ) {}

  /** Connects and migrates graphile-worker's schema, so that jobs may be added before `start`. */
  static async open(opts: GraphileQueueOptions): Promise<GraphileJobQueue> {
    // Its own pool: workers hold connections while jobs run, and LISTEN holds one for good;
    // sharing the hub's pool would let a burst of jobs starve requests.
    const pool = new pg.Pool({ connectionString: opts.connectionString, max: opts.concurrency + 4, application_name: 'orchard-jobs' });
    // As the hub's own pool (src/db/database.ts): a dropped idle connection is replaced on the next query;
    // while closing, connections on their way out may hear the server's goodbye, which is not news.
    pool.on('error', (err) => (pool as unknown as { ending?: boolean }).ending || log.warn('job queue: idle PostgreSQL connection lost', { error: err.message }));
    pool.on('connect', (client) => client.on('error', () => undefined));
    try {
      const utils = await makeWorkerUtils({ pgPool: pool, schema: GRAPHILE_SCHEMA, logger: graphileLogger });
      await utils.migrate();
      return new GraphileJobQueue(opts, pool, utils);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  async add(task: string, payload: JobPayload, o: AddJobOptions = {}): Promise<void> {
    await this.utils.addJob(task, payload, {
      ...(o.queueName !== undefined ? { queueName: o.queueName } : {}),
      ...(o.runAt !== undefined ? { runAt: o.runAt } : {}),
      ...(o.jobKey !== undefined ? { jobKey: o.jobKey, jobKeyMode: o.jobKeyMode ?? 'replace' } : {}),
      ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
    });
    const delay = o.runAt ? o.runAt.getTime() - Date.now() : 0;
    if (delay > 0 && delay < 24 * 3_600_000) this.nudgeIn(delay);
  }

  /** Wakes one idle local worker after `ms` (the poll would find the job too, only later). */
  private nudgeIn(ms: number): void {
    const t = setTimeout(() => {
      this.nudges.delete(t);
      this.workerPool?.nudge(1);
    }, ms);
    t.unref();
    this.nudges.add(t);
  }

  async start(tasks: TaskList): Promise<void> {
    const liveness = new PoolLiveness(this.opts.connectionString);
    this.liveness = liveness;
    await unlockDeadPools(this.pool, GRAPHILE_SCHEMA);
    const events = new EventEmitter();
    events.on('pool:create', ({ workerPool }: { workerPool: WorkerPool }) => {
      this.workerPool = workerPool;
    });
    // graphile-worker records a completion without waiting for it, and the worker looks for its next job
    // at once: the next job of the same named queue may still see the queue locked, and would wait for
    // the poll. Look again once the completion has had time to commit.
    events.on('job:complete', ({ job }: { job: { job_queue_id: number | null } }) => {
      if (job.job_queue_id !== null) this.nudgeIn(COMPLETION_NUDGE_MS);
    });
    const taskList: Record<string, Task> = {};
    for (const [name, handler] of Object.entries(tasks)) {
      taskList[name] = async (payload, helpers) => {
        // Our own signal: stop() decides when running jobs are cut, whatever graphile-worker's default.
        const controller = new AbortController();
        const forward = (): void => controller.abort();
        helpers.abortSignal?.addEventListener('abort', forward);
        this.controllers.add(controller);
        try {
          await handler((payload ?? {}) as JobPayload, { signal: controller.signal, attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts });
        } finally {
          this.controllers.delete(controller);
          helpers.abortSignal?.removeEventListener('abort', forward);
        }
      };
    }
    this.runner = await run({
      pgPool: this.pool,
      schema: GRAPHILE_SCHEMA,
      taskList,
      concurrency: this.opts.concurrency,
      pollInterval: POLL_MS,
      // The hub handles SIGTERM and SIGINT itself (src/http/shutdown.ts).
      noHandleSignals: true,
      parsedCronItems: [],
      logger: graphileLogger,
      events,
      // Cutting jobs short is stop()'s decision (StopOptions.abortAfterMs).
      gracefulShutdownAbortTimeout: 24 * 3_600_000,
      preset: {
        // Completions and failures through graphile-worker's batcher (a 0 ms batch): its unbatched path
        // does not handle a failed write of the outcome, which in a database outage became an unhandled
        // rejection (and so the end of the process); the batcher logs it and stops the pool, and the
        // runner's rejection restarts the queue (below).
        worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 },
        plugins: [
          {
            name: 'OrchardLivenessPlugin',
            version: '1.0.0',
            description: 'Holds an advisory lock per worker pool so that other processes can tell a dead pool from a busy one',
            worker: { hooks: { startWorker: async (_ctx, event) => liveness.hold(event.worker.workerPool.id) } },
          },
        ],
      },
    });
    // The runner's promise rejects when graphile-worker gives up (e.g. its LISTEN connection is lost
    // in a database outage); unobserved, that rejection would end the process. Readiness reports the
    // database; the queue is restarted when the database is back.
    this.runner.promise.catch((err: unknown) => {
      log.warn('job queue: the workers stopped', { error: err instanceof Error ? err.message : String(err) });
      this.runner = undefined;
      if (!this.stopping) this.restartLater(tasks);
    });
    this.recoverTimer = setInterval(() => {
      unlockDeadPools(this.pool, GRAPHILE_SCHEMA).catch((err: Error) => log.warn('job queue: looking for jobs of stopped processes failed', { error: err.message }));
    }, RECOVER_MS);
    this.recoverTimer.unref();
  }

  /** Starts the workers again after a failure, once the database answers. */
  private restartLater(tasks: TaskList): void {
    clearInterval(this.recoverTimer);
    const t = setTimeout(() => {
      this.nudges.delete(t);
      if (this.stopping) return;
      this.start(tasks).catch((err: unknown) => {
        log.warn('job queue: restarting the workers failed; trying again', { error: err instanceof Error ? err.message : String(err) });
        this.restartLater(tasks);
      });
    }, RESTART_MS);
    t.unref();
    this.nudges.add(t);
  }

  async stop(opts: StopOptions = {}): Promise<void> {
    this.stopping = true;
    clearInterval(this.recoverTimer);
    for (const t of this.nudges) clearTimeout(t);
    this.nudges.clear();
    const abort = setTimeout(() => {
      for (const c of this.controllers) c.abort();
    }, opts.abortAfterMs ?? 0);
    try {
      // Graceful: no new jobs; running ones finish (or end early once aborted) and are completed or failed in the database.
      await this.runner?.stop();
    } catch (err) {
      log.warn('job queue: stopping the workers reported an error', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      clearTimeout(abort);
      this.runner = undefined;
      this.workerPool = undefined;
    }
    await this.utils.release();
    // Only after the workers: their locks go with this connection, and other processes would free their jobs.
    await this.liveness?.close();
    await this.pool.end();
  }

  async pending(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(`select count(*)::int as n from ${pg.escapeIdentifier(GRAPHILE_SCHEMA)}._private_jobs where attempts < max_attempts`);
    return Number(rows[0]?.n ?? 0);
  }
}
