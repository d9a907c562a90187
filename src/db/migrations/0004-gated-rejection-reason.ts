import type { Kysely } from 'kysely';

/** The reason a manager gives when rejecting an access request; the requester sees it. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('gated_requests').addColumn('rejection_reason', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('gated_requests').dropColumn('rejection_reason').execute();
}
