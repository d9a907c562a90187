import type { Kysely } from 'kysely';

/** Leaderboards: definitions over benchmarks and models (filled in by the leaderboards work). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
