import type { Kysely } from 'kysely';

/**
 * Discussions and pull requests (spec 8.2). A discussion is numbered per repo
 * (a pull request shares the numbering and owns `refs/pr/<num>`); its thread
 * is an ordered list of events: comments, status and title changes, commits.
 * Both go with their repo (foreign keys cascade; the repo-delete listener in
 * src/services/discussions.ts removes them too, for databases restored without
 * the constraint).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('discussions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('num', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    /** open | closed | merged | draft */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('is_pull_request', 'integer', (c) => c.notNull())
    .addColumn('author_id', 'text')
    .addColumn('author_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    /** Pull requests: the branch they merge into (`refs/heads/…`). */
    .addColumn('target_branch', 'text')
    /** Pull requests: the commit the target branch moved to when merged. */
    .addColumn('merge_commit', 'text')
    /** Pull requests: where the target branch was just before the merge (for the diff of a merged PR). */
    .addColumn('merged_from', 'text')
    .addUniqueConstraint('discussions_repo_num_uq', ['repo_id', 'num'])
    .execute();
  await db.schema.createIndex('discussions_repo_status_idx').on('discussions').columns(['repo_id', 'status']).execute();
  await db.schema.createIndex('discussions_author_idx').on('discussions').columns(['author_id']).execute();

  await db.schema
    .createTable('discussion_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('discussion_id', 'text', (c) => c.notNull().references('discussions.id').onDelete('cascade'))
    /** Order in the thread: 1, 2, … (unique, so that two writers never share a slot). */
    .addColumn('position', 'integer', (c) => c.notNull())
    /** comment | status-change | title-change | commit */
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('author_id', 'text')
    .addColumn('author_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    /** JSON: `{status}`, `{from, to}` or `{subject, oid}`; for comments, the edit history. */
    .addColumn('data', 'text', (c) => c.notNull())
    /** Comments: the current Markdown source. */
    .addColumn('content', 'text')
    .addColumn('edited', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text')
    .addColumn('updated_by', 'text')
    .addUniqueConstraint('discussion_events_pos_uq', ['discussion_id', 'position'])
    .execute();
}
