import { type Kysely, sql } from 'kysely';

/** The hub core's schema. Column types are the portable subset of SQLite and PostgreSQL. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('fullname', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .execute();

  await db.schema
    .createTable('repos')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('full_name_lc', 'text', (c) => c.notNull())
    .addColumn('private', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('gated', 'text')
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_modified', 'text', (c) => c.notNull())
    .addColumn('default_branch', 'text', (c) => c.notNull().defaultTo('main'))
    .addColumn('head_sha', 'text')
    .addColumn('card_data', 'text')
    .addColumn('pipeline_tag', 'text')
    .addColumn('library_name', 'text')
    .addColumn('downloads', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('likes', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('repos_type_full_name_uq', ['type', 'full_name_lc'])
    .execute();
  await db.schema.createIndex('repos_namespace_idx').on('repos').columns(['namespace']).execute();
  await db.schema.createIndex('repos_last_modified_idx').on('repos').columns(['type', 'last_modified']).execute();

  await db.schema
    .createTable('repo_tags')
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('repo_tags_pk', ['repo_id', 'tag'])
    .execute();
  await db.schema.createIndex('repo_tags_tag_idx').on('repo_tags').columns(['tag', 'repo_id']).execute();

  await db.schema
    .createTable('refs')
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('oid', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('refs_pk', ['repo_id', 'name'])
    .execute();

  await db.schema
    .createTable('commits')
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('oid', 'text', (c) => c.notNull())
    .addColumn('tree_oid', 'text', (c) => c.notNull())
    .addColumn('parents', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('author_name', 'text', (c) => c.notNull())
    .addColumn('author_email', 'text', (c) => c.notNull())
    .addColumn('date', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('commits_pk', ['repo_id', 'oid'])
    .execute();

  await db.schema
    .createTable('tree_entries')
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('tree_oid', 'text', (c) => c.notNull())
    .addColumn('entry_name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('oid', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('lfs_oid', 'text')
    .addColumn('lfs_size', 'bigint')
    .addPrimaryKeyConstraint('tree_entries_pk', ['repo_id', 'tree_oid', 'entry_name'])
    .execute();
  await db.schema.createIndex('tree_entries_lfs_idx').on('tree_entries').columns(['repo_id', 'lfs_oid']).execute();

  await db.schema
    .createTable('indexed_trees')
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('tree_oid', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('indexed_trees_pk', ['repo_id', 'tree_oid'])
    .execute();

  await db.schema
    .createTable('lfs_uploads')
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('oid', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('lfs_uploads_pk', ['repo_id', 'oid'])
    .execute();

  await db.schema
    .createTable('pending_syncs')
    .addColumn('repo_id', 'text', (c) => c.primaryKey())
    .addColumn('since', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  void sql;
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['settings', 'pending_syncs', 'lfs_uploads', 'indexed_trees', 'tree_entries', 'commits', 'refs', 'repo_tags', 'repos', 'tokens', 'users']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
