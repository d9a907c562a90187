import type { Kysely } from 'kysely';

/** The arena: battles, votes and model endpoints (filled in by the arena work). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
