import type { Kysely } from 'kysely';

/** Feedback on model outputs, its triage and exports (filled in by the feedback work). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
