import type { Kysely } from 'kysely';

/**
 * Likes, daily download counts, trending scores and collections.
 *
 * - `repo_likes`: one row per (repo, user); `repos.likes` is its count, kept
 *   in the same transaction as every like and unlike.
 * - `repo_downloads`: downloads per repo per UTC day (`YYYY-MM-DD`), so that
 *   both the last 30 days and all time can be shown; `repo_download_clients`
 *   deduplicates one client's downloads of one repo on one day (only the
 *   current day's rows are kept).
 * - `repos.downloads` is the 30-day sum, `repos.downloads_all_time` the total,
 *   `repos.trending_score` the decayed recent activity; each sort gets an
 *   index shaped like migration 0005's.
 * - `collections` and `collection_items`: curated, ordered lists of repos
 *   owned by a user or an org (exactly one of the two owner columns is set).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('repo_likes')
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('repo_likes_pk', ['repo_id', 'user_id'])
    .execute();
  await db.schema.createIndex('repo_likes_user_idx').on('repo_likes').columns(['user_id', 'created_at']).execute();
  await db.schema.createIndex('repo_likes_created_idx').on('repo_likes').columns(['created_at']).execute();

  await db.schema
    .createTable('repo_downloads')
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('downloads', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('repo_downloads_pk', ['repo_id', 'day'])
    .execute();
  await db.schema.createIndex('repo_downloads_day_idx').on('repo_downloads').columns(['day']).execute();

  await db.schema
    .createTable('repo_download_clients')
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('client_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('repo_download_clients_pk', ['repo_id', 'day', 'client_key'])
    .execute();
  await db.schema.createIndex('repo_download_clients_day_idx').on('repo_download_clients').columns(['day']).execute();

  await db.schema.alterTable('repos').addColumn('downloads_all_time', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('repos').addColumn('trending_score', 'real', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('repos_trending_idx').on('repos').columns(['type', 'trending_score desc', 'id', 'private', 'full_name_lc']).execute();

  await db.schema
    .createTable('collections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('owner_org_id', 'text', (c) => c.references('orgs.id').onDelete('cascade'))
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('private', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('theme', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('collections_namespace_idx').on('collections').columns(['namespace', 'position']).execute();
  await db.schema.createIndex('collections_updated_idx').on('collections').columns(['updated_at']).execute();

  await db.schema
    .createTable('collection_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('collection_id', 'text', (c) => c.notNull().references('collections.id').onDelete('cascade'))
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('collection_items_repo_uq', ['collection_id', 'repo_id'])
    .execute();
  await db.schema.createIndex('collection_items_repo_idx').on('collection_items').columns(['repo_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['collection_items', 'collections', 'repo_download_clients', 'repo_downloads', 'repo_likes']) await db.schema.dropTable(t).ifExists().execute();
  await db.schema.dropIndex('repos_trending_idx').ifExists().execute();
  await db.schema.alterTable('repos').dropColumn('trending_score').execute();
  await db.schema.alterTable('repos').dropColumn('downloads_all_time').execute();
}
