import type { Kysely } from 'kysely';

/** Discussions, pull requests and their events (filled in by the discussions work). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
