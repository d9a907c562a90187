import type { Kysely } from 'kysely';

/**
 * Leaderboards (docs/leaderboards.md): a definition owned by a user or an org,
 * named `{namespace}/{slug}`. The definition (benchmarks, model selection,
 * objectives, which results count) is one JSON text: it is always read and
 * written whole, and never queried by its parts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('leaderboards')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('namespace', 'text', (c) => c.notNull())
    // lower-cased namespace + '/' + slug: the unique name, looked up case-insensitively
    .addColumn('name_lc', 'text', (c) => c.notNull().unique())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('private', 'integer', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('leaderboards_namespace').on('leaderboards').columns(['namespace']).execute();
}
