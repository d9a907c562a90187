import type { Kysely } from 'kysely';

/**
 * Benchmarks, evaluation results and their per-sample scores (docs/evaluations.md).
 *
 * - `eval_benchmarks`: one row per (dataset repo, commit) whose root holds an
 *   `eval.yaml`, written when the dataset's default branch moves; `is_head`
 *   marks the definition at the current head. An invalid file is a row with
 *   `valid = 0` and its `error`, so that the API can say why.
 * - `eval_results`: one aggregate per (model, revision, benchmark, metric,
 *   source). Card and `.eval_results` rows are replaced at each index of the
 *   model's head; API rows stay until deleted. The benchmark is stored by name
 *   (`benchmark_key`, lower-cased) and matched to a dataset when read, as the
 *   model tree does, so a benchmark created after its results still links.
 * - `eval_samples`: the per-sample scores of one API result, packed as columns
 *   (see docs/evaluations.md, "Storage of per-sample scores").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('eval_benchmarks')
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('revision', 'text', (c) => c.notNull())
    .addColumn('is_head', 'integer', (c) => c.notNull())
    .addColumn('valid', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('name', 'text')
    .addColumn('description', 'text')
    .addColumn('task', 'text')
    .addColumn('metric', 'text')
    .addColumn('split', 'text')
    .addColumn('higher_is_better', 'integer', (c) => c.notNull())
    .addColumn('samples_path', 'text')
    .addColumn('indexed_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('eval_benchmarks_pk', ['repo_id', 'revision'])
    .execute();
  await db.schema.createIndex('eval_benchmarks_head_idx').on('eval_benchmarks').columns(['repo_id', 'is_head']).execute();

  await db.schema
    .createTable('eval_results')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model_repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('model_revision', 'text', (c) => c.notNull())
    .addColumn('benchmark', 'text', (c) => c.notNull())
    .addColumn('benchmark_key', 'text', (c) => c.notNull())
    .addColumn('benchmark_name', 'text')
    .addColumn('benchmark_revision', 'text')
    .addColumn('task', 'text')
    .addColumn('metric', 'text')
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('n', 'integer')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_url', 'text')
    .addColumn('self_reported', 'integer', (c) => c.notNull())
    .addColumn('verified', 'integer', (c) => c.notNull())
    .addColumn('producer_user_id', 'text')
    .addColumn('producer_name', 'text', (c) => c.notNull())
    .addColumn('notes', 'text')
    .addColumn('reproduced_from', 'text')
    .addColumn('contaminated', 'integer', (c) => c.notNull())
    .addColumn('unverified', 'integer', (c) => c.notNull())
    .addColumn('flag_note', 'text')
    .addColumn('flagged_by', 'text')
    .addColumn('flagged_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('eval_results_model_idx').on('eval_results').columns(['model_repo_id', 'source']).execute();
  await db.schema.createIndex('eval_results_benchmark_idx').on('eval_results').columns(['benchmark_key', 'model_repo_id']).execute();

  await db.schema
    .createTable('eval_samples')
    .addColumn('result_id', 'text', (c) => c.primaryKey().references('eval_results.id').onDelete('cascade'))
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('ids', 'text', (c) => c.notNull())
    .addColumn('scores', 'text', (c) => c.notNull())
    .addColumn('cost_tokens', 'text')
    .addColumn('cost_usd', 'text')
    .addColumn('latency_ms', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('eval_samples').ifExists().execute();
  await db.schema.dropTable('eval_results').ifExists().execute();
  await db.schema.dropTable('eval_benchmarks').ifExists().execute();
}
