import { type Kysely, PostgresAdapter, sql } from 'kysely';

/** Sort orders of `listRepos` that get their own index (name, column). `full_name_lc` has the unique index already. */
const SORTS = [
  ['downloads', 'downloads'],
  ['likes', 'likes'],
  ['created', 'created_at'],
  ['last_modified', 'last_modified'],
] as const;

/**
 * Listing and search over many repos (bench/ui.ts, 100,000 repos). Before,
 * SQLite walked `(type, last_modified)` for `type = ?`, fetched every row and
 * sorted them all: about 250 ms for any page of results. Now:
 *
 * - one index per sort order, `(type, {sort} desc, id)`, which is the
 *   `ORDER BY {sort} desc, id` of `listRepos`, so a page walks one index and
 *   stops after `limit` matches;
 * - each also holds `private` and `full_name_lc`, the columns the visibility
 *   filter and the `LIKE '%…%'` search read, so that SQLite checks them in
 *   the index and fetches only the rows it returns: a search matching
 *   almost nothing scans a compact index instead of the table;
 * - `lower(namespace)`, the author filter, as an expression index;
 * - on PostgreSQL, a trigram index (`pg_trgm`) for `LIKE '%…%'`, when the
 *   extension can be created; without it PostgreSQL still gets the indexes above.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('repos_last_modified_idx').execute();
  for (const [name, column] of SORTS) {
    await db.schema.createIndex(`repos_${name}_idx`).on('repos').columns(['type', `${column} desc`, 'id', 'private', 'full_name_lc']).execute();
  }
  await db.schema.createIndex('repos_namespace_lc_idx').on('repos').expression(sql`lower(namespace)`).execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // Optional: a savepoint keeps the migration's transaction usable when the extension is not available.
    await sql`savepoint trigram`.execute(db);
    try {
      await sql`create extension if not exists pg_trgm`.execute(db);
      await sql`create index repos_name_trgm_idx on repos using gin (full_name_lc gin_trgm_ops)`.execute(db);
      await sql`release savepoint trigram`.execute(db);
    } catch {
      await sql`rollback to savepoint trigram`.execute(db);
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists repos_name_trgm_idx`.execute(db);
  await db.schema.dropIndex('repos_namespace_lc_idx').ifExists().execute();
  for (const [name] of SORTS) await db.schema.dropIndex(`repos_${name}_idx`).ifExists().execute();
  await db.schema.createIndex('repos_last_modified_idx').on('repos').columns(['type', 'last_modified']).execute();
}
