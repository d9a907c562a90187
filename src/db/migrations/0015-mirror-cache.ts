import type { Kysely } from 'kysely';

/**
 * The pull-through cache of an upstream hub (docs/mirror.md). Nothing here is
 * a local repo: these tables remember what upstream answered, keyed so that
 * every cached answer is immutable (a commit hash) except the revision table,
 * which maps a branch or tag to a commit and is re-checked after a while.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mirror_repos')
    // `{type}:{namespace}/{name}` lower-cased: the cache's key for one upstream repo
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    // the repo id as upstream spells it
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('private', 'integer', (c) => c.notNull())
    // upstream's `gated` value as text ('false', 'auto', 'manual')
    .addColumn('gated', 'text', (c) => c.notNull())
    .addColumn('checked_at', 'text', (c) => c.notNull())
    .addColumn('last_access', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('mirror_revisions')
    .addColumn('repo_key', 'text', (c) => c.notNull())
    // the revision as clients ask for it ('' for the default branch)
    .addColumn('revision', 'text', (c) => c.notNull())
    .addColumn('commit_sha', 'text', (c) => c.notNull())
    .addColumn('checked_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('mirror_revisions_pk', ['repo_key', 'revision'])
    .execute();

  await db.schema
    .createTable('mirror_documents')
    .addColumn('repo_key', 'text', (c) => c.notNull())
    .addColumn('commit_sha', 'text', (c) => c.notNull())
    // what was asked: `info?{query}`, `tree:{path}?{query}`, `paths-info:{hash}`
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('mirror_documents_pk', ['repo_key', 'commit_sha', 'kind'])
    .execute();

  await db.schema
    .createTable('mirror_files')
    .addColumn('repo_key', 'text', (c) => c.notNull())
    .addColumn('commit_sha', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    // 'lfs' (oid = sha256), 'git' (oid = git blob id) or 'missing' (upstream said EntryNotFound)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('oid', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('mirror_files_pk', ['repo_key', 'commit_sha', 'path'])
    .execute();

  await db.schema
    .createTable('mirror_objects')
    // `sha256-{hex}` or `git-{hex}`: the file name in the cache folder
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_access', 'text', (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mirror_objects_lru').on('mirror_objects').columns(['last_access']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['mirror_objects', 'mirror_files', 'mirror_documents', 'mirror_revisions', 'mirror_repos']) {
    await db.schema.dropTable(t).execute();
  }
}
