import type { Kysely } from 'kysely';

/** Webhooks, their delivery queue and delivery log (filled in by the webhooks work). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
