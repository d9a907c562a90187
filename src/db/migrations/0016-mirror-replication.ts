import { type Kysely, sql } from 'kysely';

/**
 * Replication and air-gapped transfer (docs/replication.md). A replicated or
 * imported repo is an ordinary local repo; `replications` records where it
 * came from or where it is sent, and `repos.mirror_of` marks a pull mirror,
 * whose content changes only through its source (policy.can refuses writes).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('replications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('remote_type', 'text', (c) => c.notNull())
    .addColumn('remote_repo', 'text', (c) => c.notNull())
    .addColumn('remote_id', 'text')
    .addColumn('token', 'text')
    .addColumn('token_env', 'text')
    .addColumn('interval_seconds', 'integer')
    .addColumn('next_run_at', 'text')
    .addColumn('claimed_until', 'text')
    .addColumn('claimed_by', 'text')
    .addColumn('last_sync_at', 'text')
    .addColumn('last_status', 'text', (c) => c.notNull().defaultTo('never'))
    .addColumn('last_error', 'text')
    .addColumn('refs', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('replications_link').on('replications').columns(['repo_id', 'direction', 'url', 'remote_type', 'remote_repo']).unique().execute();
  // A repo has at most one source: one pull (or import) record.
  await db.schema.createIndex('replications_one_source').on('replications').column('repo_id').unique().where(sql<boolean>`direction in ('pull', 'import')`).execute();
  await db.schema.createIndex('replications_due').on('replications').column('next_run_at').execute();
  await db.schema.alterTable('repos').addColumn('mirror_of', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('repos').dropColumn('mirror_of').execute();
  await db.schema.dropTable('replications').execute();
}
