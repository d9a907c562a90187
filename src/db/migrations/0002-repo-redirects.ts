import type { Kysely } from 'kysely';

/** Old names of renamed repos, so that their URLs keep working (spec 5.4). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('repo_redirects')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('full_name_lc', 'text', (c) => c.notNull())
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('repo_redirects_pk', ['type', 'full_name_lc'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('repo_redirects').ifExists().execute();
}
