import { log } from '../core/log.js';
import { type AddJobOptions, DEFAULT_MAX_ATTEMPTS, handlerRetryDelayMs, type JobPayload, type JobQueue, type StopOptions, type TaskList } from './job-queue.js';

/**
 * The job queue of a SQLite hub: the semantics of `JobQueue` (serial named
 * queues, run-at, job keys, retries) kept in this process's memory.
 *
 * This is not a distributed queue, and need not be: `orchard serve` on SQLite
 * is one process (docs/operations.md), so there is nobody to share jobs with,
 * and a table of jobs would only add writes to the one SQLite writer. What a
 * crash loses is nothing the hub needs: each job is about a row that is the
 * record (a pending webhook delivery, a scheduled replication), and the
 * services add their recurring jobs again at start-up, which find those rows
 * and queue their work again.
 */

interface Job {
  id: number;
  task: string;
  payload: JobPayload;
  queueName: string | undefined;
  runAt: number;
  key: string | undefined;
  attempts: number;
  maxAttempts: number;
  running: boolean;
  /** Re-added under its key while running: a newer job carries the work, this one is not retried. */
  superseded: boolean;
}

export class InProcessJobQueue implements JobQueue {
  readonly backend = 'in-process';
  private nextId = 1;
  private readonly jobs = new Map<number, Job>();
  private readonly keyed = new Map<string, Job>();
  private readonly busyQueues = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private tasks: TaskList | undefined;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly concurrency = 4) {}

  async add(task: string, payload: JobPayload, opts: AddJobOptions = {}): Promise<void> {
    const runAt = opts.runAt?.getTime() ?? Date.now();
    const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const existing = opts.jobKey === undefined ? undefined : this.keyed.get(opts.jobKey);
    if (existing && !existing.running) {
      // As graphile-worker's add_job: the waiting job takes the new values and starts its attempts afresh.
      const keepTime = opts.jobKeyMode === 'preserve_run_at' && existing.attempts === 0;
      Object.assign(existing, { task, payload, queueName: opts.queueName, maxAttempts, attempts: 0, runAt: keepTime ? existing.runAt : runAt });
      this.schedule();
      return;
    }
    if (existing) {
      existing.key = undefined;
      existing.superseded = true;
    }
    const job: Job = { id: this.nextId++, task, payload, queueName: opts.queueName, runAt, key: opts.jobKey, attempts: 0, maxAttempts, running: false, superseded: false };
    this.jobs.set(job.id, job);
    if (job.key !== undefined) this.keyed.set(job.key, job);
    this.schedule();
  }

  async start(tasks: TaskList): Promise<void> {
    this.tasks = tasks;
    this.stopping = false;
    this.schedule();
  }

  async stop(opts: StopOptions = {}): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const abort = setTimeout(() => {
      for (const c of this.controllers) c.abort();
    }, opts.abortAfterMs ?? 0);
    await Promise.all([...this.inflight]);
    clearTimeout(abort);
  }

  async pending(): Promise<number> {
    return this.jobs.size;
  }

  /** Starts every due job that a free slot and its queue allow, then sleeps until the next one is due. */
  private schedule(): void {
    if (!this.tasks || this.stopping) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    const waiting = [...this.jobs.values()].filter((j) => !j.running).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
    let next = Infinity;
    for (const job of waiting) {
      if (job.queueName !== undefined && this.busyQueues.has(job.queueName)) continue;
      if (job.runAt > now) {
        next = Math.min(next, job.runAt);
        continue;
      }
      if (this.inflight.size >= this.concurrency) break;
      this.launch(job);
    }
    if (next !== Infinity) {
      this.timer = setTimeout(() => this.schedule(), Math.max(1, next - now));
      // The queue alone never keeps the process alive (as the old webhook worker).
      this.timer.unref();
    }
  }

  private launch(job: Job): void {
    job.running = true;
    job.attempts += 1;
    if (job.queueName !== undefined) this.busyQueues.add(job.queueName);
    const controller = new AbortController();
    this.controllers.add(controller);
    const handler = this.tasks![job.task];
    const run = async (): Promise<void> => {
      if (!handler) throw new Error(`no handler for task ${job.task}`);
      await handler(job.payload, { signal: controller.signal, attempt: job.attempts, maxAttempts: job.maxAttempts });
    };
    const p = run()
      .then(
        () => this.finish(job, undefined),
        (err: unknown) => this.finish(job, err),
      )
      .finally(() => {
        this.controllers.delete(controller);
        this.inflight.delete(p);
        this.schedule();
      });
    this.inflight.add(p);
  }

  private finish(job: Job, err: unknown): void {
    job.running = false;
    if (job.queueName !== undefined) this.busyQueues.delete(job.queueName);
    if (err !== undefined && !job.superseded && job.attempts < job.maxAttempts) {
      job.runAt = Date.now() + handlerRetryDelayMs(job.attempts);
      log.warn(`job ${job.task} failed; retrying`, { attempt: job.attempts, maxAttempts: job.maxAttempts, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (err !== undefined) log.error(`job ${job.task} given up`, err, { attempts: job.attempts });
    this.jobs.delete(job.id);
    if (job.key !== undefined && this.keyed.get(job.key) === job) this.keyed.delete(job.key);
  }
}
