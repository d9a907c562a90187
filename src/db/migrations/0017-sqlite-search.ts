import { type Kysely, SqliteAdapter, sql } from 'kysely';

/**
 * Repo search on SQLite through its own text search: an FTS5 table with the
 * trigram tokenizer over `full_name_lc`, so that `search=lam` (a substring,
 * as on the Hub) is answered from an index instead of a scan of every name.
 * PostgreSQL has had the same since 0005 (`pg_trgm`).
 *
 * The table keeps its own copy of the id and name (not an external-content
 * table on `repos.rowid`, which VACUUM may renumber); triggers keep it equal
 * to `repos`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await sql`create virtual table repos_name_fts using fts5(repo_id unindexed, full_name_lc, tokenize = 'trigram')`.execute(db);
  await sql`insert into repos_name_fts (repo_id, full_name_lc) select id, full_name_lc from repos`.execute(db);
  await sql`create trigger repos_name_fts_insert after insert on repos begin
    insert into repos_name_fts (repo_id, full_name_lc) values (new.id, new.full_name_lc);
  end`.execute(db);
  await sql`create trigger repos_name_fts_delete after delete on repos begin
    delete from repos_name_fts where repo_id = old.id;
  end`.execute(db);
  await sql`create trigger repos_name_fts_rename after update of full_name_lc on repos begin
    delete from repos_name_fts where repo_id = old.id;
    insert into repos_name_fts (repo_id, full_name_lc) values (new.id, new.full_name_lc);
  end`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  for (const t of ['repos_name_fts_insert', 'repos_name_fts_delete', 'repos_name_fts_rename']) await sql`drop trigger if exists ${sql.raw(t)}`.execute(db);
  await sql`drop table if exists repos_name_fts`.execute(db);
}
