import { sql, type Kysely } from 'kysely';

/**
 * Dataset exports as background jobs (docs/feedback.md): one row per export asked for, run by the job
 * queue and read back by the request that asked (it waits a while) or by polling.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('export_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // 'feedback' (of a model) or 'arena' (consented votes)
    .addColumn('kind', 'text', (c) => c.notNull())
    // the model repo's id or the arena's id
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('dataset_repo_id', 'text', (c) => c.notNull())
    .addColumn('created_dataset', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    // JSON: what the export takes besides its source and target (the formats of a feedback export)
    .addColumn('params', 'text', (c) => c.notNull())
    // queued | running | done | failed
    .addColumn('status', 'text', (c) => c.notNull())
    // JSON: the export's result when done; {code, message} when failed
    .addColumn('result', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // One unfinished export per source and dataset: a second request joins it.
  await db.schema
    .createIndex('export_jobs_one_active')
    .on('export_jobs')
    .columns(['kind', 'source_id', 'dataset_repo_id'])
    .unique()
    .where(sql<boolean>`status in ('queued', 'running')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('export_jobs').execute();
}
