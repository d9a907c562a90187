import type { Kysely } from 'kysely';

/** Likes, daily download counts and collections (filled in by the likes/downloads/collections work). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
