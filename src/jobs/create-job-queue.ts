import type { Dialect } from '../db/database.js';
import { GraphileJobQueue } from './graphile-queue.js';
import { InProcessJobQueue } from './in-process-queue.js';
import type { JobQueue } from './job-queue.js';

export interface JobQueueSettings {
  /** The database the hub opened: PostgreSQL shares the queue between processes, SQLite keeps it in this one. */
  dialect: Dialect;
  /** The PostgreSQL URL (graphile-worker opens its own pool on it). */
  databaseUrl?: string | undefined;
  /** Jobs run at once by this process (default 4). */
  concurrency?: number;
}

/** The queue for the hub's database (docs/operations.md, "Background jobs"). */
export async function createJobQueue(settings: JobQueueSettings): Promise<JobQueue> {
  const concurrency = settings.concurrency ?? 4;
  if (settings.dialect === 'postgres') {
    if (!settings.databaseUrl) throw new Error('the job queue needs the PostgreSQL URL');
    return GraphileJobQueue.open({ connectionString: settings.databaseUrl, concurrency });
  }
  return new InProcessJobQueue(concurrency);
}
