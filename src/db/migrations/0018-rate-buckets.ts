import type { Kysely } from 'kysely';

/**
 * Rate-limit buckets shared by every process of a hub (docs/operations.md):
 * one row per caller key, updated in a single statement per request.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rate_buckets')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    // milliseconds since the epoch of the last take
    .addColumn('at', 'bigint', (c) => c.notNull())
    // 1 when the last take was allowed
    .addColumn('allowed', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rate_buckets_at').on('rate_buckets').columns(['at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_buckets').execute();
}
