import type { Kysely } from 'kysely';

/**
 * Arena votes in the feedback export (docs/feedback.md, "Arena votes"):
 *
 * - a vote carries its voter's consent to publication (`consent_publish`, 0
 *   unless the voter opted in, and when), and the commit each model's repo on
 *   this hub was at when the battle was dealt (`revision_a` / `revision_b`,
 *   null for a model that is not a repo here);
 * - `arena_exports` is one row per export commit of an arena's votes, with a
 *   shard number unique per dataset, and `arena_exported` records each vote
 *   sent to a dataset with (battle, dataset) as its primary key: the same
 *   claim that keeps feedback exports from ever writing a row twice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('arena_battles').addColumn('consent_publish', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('arena_battles').addColumn('consent_at', 'text').execute();
  await db.schema.alterTable('arena_battles').addColumn('revision_a', 'text').execute();
  await db.schema.alterTable('arena_battles').addColumn('revision_b', 'text').execute();

  await db.schema
    .createTable('arena_exports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('arena_id', 'text', (c) => c.notNull().references('arenas.id').onDelete('cascade'))
    .addColumn('dataset_repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('shard', 'integer', (c) => c.notNull())
    // 'pending' while its commit is being written, then 'done'.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('commit_oid', 'text')
    .addColumn('preference_rows', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('arena_exports_shard', ['dataset_repo_id', 'shard'])
    .execute();

  await db.schema
    .createTable('arena_exported')
    .addColumn('battle_id', 'text', (c) => c.notNull().references('arena_battles.id').onDelete('cascade'))
    .addColumn('dataset_repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('export_id', 'text', (c) => c.notNull().references('arena_exports.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('arena_exported_pk', ['battle_id', 'dataset_repo_id'])
    .execute();
  await db.schema.createIndex('arena_exported_export').on('arena_exported').column('export_id').execute();
}
