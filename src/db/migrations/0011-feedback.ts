import type { Kysely } from 'kysely';

/**
 * Feedback on model outputs, its triage, and what each export wrote. The
 * stored texts are the originals (owners may need them); redaction happens
 * on the way out (src/services/feedback-redact.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('feedback')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('user_name', 'text', (c) => c.notNull())
    // JSON [{role, content}]: a plain prompt is stored as one user message.
    .addColumn('prompt', 'text', (c) => c.notNull())
    .addColumn('response', 'text', (c) => c.notNull())
    .addColumn('model_revision', 'text', (c) => c.notNull())
    // '1'…'5', 'up' or 'down', as submitted.
    .addColumn('rating', 'text', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('correction', 'text')
    .addColumn('note', 'text')
    .addColumn('consent_publish', 'integer', (c) => c.notNull())
    .addColumn('consent_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('triaged_by', 'text')
    .addColumn('triaged_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('feedback_repo_status').on('feedback').columns(['repo_id', 'status', 'created_at']).execute();
  await db.schema.createIndex('feedback_repo_user').on('feedback').columns(['repo_id', 'user_id', 'created_at']).execute();

  // One row per export commit; (dataset, shard) is unique, so two exporters can never write the same shard.
  await db.schema
    .createTable('feedback_exports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model_repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('dataset_repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('shard', 'integer', (c) => c.notNull())
    // 'pending' while its commit is being written, then 'done'.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('commit_oid', 'text')
    .addColumn('sft_rows', 'integer', (c) => c.notNull())
    .addColumn('preference_rows', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('feedback_exports_shard', ['dataset_repo_id', 'shard'])
    .execute();

  // What went where: a feedback item is exported to a dataset at most once (the constraint that stops duplicates).
  await db.schema
    .createTable('feedback_exported')
    .addColumn('feedback_id', 'text', (c) => c.notNull().references('feedback.id').onDelete('cascade'))
    .addColumn('dataset_repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('export_id', 'text', (c) => c.notNull().references('feedback_exports.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('feedback_exported_pk', ['feedback_id', 'dataset_repo_id'])
    .execute();
  await db.schema.createIndex('feedback_exported_export').on('feedback_exported').column('export_id').execute();
}
