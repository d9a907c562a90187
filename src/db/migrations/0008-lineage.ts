import type { Kysely } from 'kysely';

/** The model tree: relations between repos (filled in by the model tree work). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
