import type { Kysely } from 'kysely';

/** Benchmarks, evaluation results and their per-sample scores (filled in by the evaluations work). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
