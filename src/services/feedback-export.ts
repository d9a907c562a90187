/**
 * Exports accepted, consented feedback to a dataset repo (docs/feedback.md):
 * one commit per export that adds new JSONL shards (never rewriting old
 * ones), a provenance shard, and a regenerated dataset card.
 *
 * Incremental and idempotent: `feedback_exported` records each item sent to
 * a dataset, with (feedback, dataset) as its primary key; an export claims
 * its items and its shard number (unique per dataset) in one transaction
 * *before* it commits, so two exports can never write the same rows; the
 * commit names its `parentCommit`, so a concurrent change to the dataset is
 * noticed and the commit rebuilt on it. Exports of one dataset also queue on
 * an in-process lock, so the common race ends with the second export finding
 * nothing new rather than with an error.
 *
 * Rows come from sources; feedback is one, arena votes (arena-export.ts)
 * the other: their preference and provenance rows have the same columns, so
 * one `load_dataset` config reads both. What both share (the target dataset,
 * the per-dataset lock, the commit and the card) is in dataset-export.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../auth/actor.js';
import { HubError } from '../core/errors.js';
import { parseRepoId } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import {
  commitFiles,
  datasetCard,
  datasetExportLocks,
  exportTotals,
  freeShard,
  isUniqueViolation,
  jsonl,
  MAX_ITEMS_PER_EXPORT,
  shardCommitted,
  shardName,
  STALE_CLAIM_MS,
  targetDataset,
} from './dataset-export.js';
import { type ChatMessage, type FeedbackRow, isFeedbackWriter, promptMessages, ratedGood, requireModel } from './feedback.js';
import { redact } from './feedback-redact.js';
import type { ExportRunner } from './export-jobs.js';
import type { Hub } from './hub.js';
import type { RepoRow } from './repos.js';

export { MAX_ITEMS_PER_EXPORT, STALE_CLAIM_MS };

export const EXPORT_FORMATS = ['sft', 'preference'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportResult {
  dataset: string;
  created: boolean;
  /** feedback items in this export */
  exported: number;
  rows: { sft: number; preference: number };
  shard: number | null;
  commit: string | null;
  files: string[];
}

interface Built {
  item: FeedbackRow;
  sft: Record<string, unknown> | undefined;
  preference: Record<string, unknown> | undefined;
}

export function redactMessages<M extends { role: string; content: string }>(messages: M[]): M[] {
  return messages.map((m) => ({ ...m, content: redact(m.content) }));
}

/** The rows one item gives in the chosen formats; everything published is redacted. */
export function buildRows(model: string, item: FeedbackRow, formats: readonly ExportFormat[]): Built {
  const prompt = redactMessages(promptMessages(item));
  const response = redact(item.response);
  const correction = item.correction === null ? null : redact(item.correction);
  const meta = { feedback_id: item.id, model, model_revision: item.model_revision };
  const sft = formats.includes('sft') && (correction !== null || ratedGood(item.rating))
    ? { messages: [...prompt, { role: 'assistant', content: correction ?? response }], ...meta }
    : undefined;
  const preference = formats.includes('preference') && correction !== null
    ? {
        prompt, chosen: [{ role: 'assistant', content: correction }], rejected: [{ role: 'assistant', content: response }], source: 'feedback',
        // The same columns as an arena vote's pair (arena-export.ts): the rejected answer is the model's own.
        feedback_id: item.id, battle_id: null, model, model_revision: item.model_revision, rejected_model: model, rejected_model_revision: item.model_revision,
      }
    : undefined;
  return { item, sft, preference };
}

export function parseFormats(v: unknown): ExportFormat[] {
  if (v === undefined || v === null) return [...EXPORT_FORMATS];
  if (!Array.isArray(v) || v.length === 0 || v.some((f) => !EXPORT_FORMATS.includes(f as ExportFormat))) {
    throw new HubError('BadRequest', 'formats must be a non-empty list of "sft", "preference"');
  }
  return EXPORT_FORMATS.filter((f) => v.includes(f));
}

/**
 * `POST …/feedback/export`, the part done in the request: writers of the model only; the target
 * dataset is checked (or created). The export itself runs as a job (export-jobs.ts).
 */
export async function prepareFeedbackExport(hub: Hub, actor: Actor, model: RepoRow, body: Record<string, unknown>): Promise<{ dataset: RepoRow; created: boolean; formats: ExportFormat[] }> {
  requireModel(model);
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be signed in to export feedback');
  if (!isFeedbackWriter(actor, model)) throw new HubError('Forbidden', 'Only writers of this model can export its feedback');
  const dsRef = parseRepoId('dataset', body.dataset);
  const formats = parseFormats(body.formats);
  const { row: dataset, created } = await targetDataset(hub, actor, model.namespace, 'model', dsRef);
  return { dataset, created, formats };
}

/** The export job of feedback (export-jobs.ts): one export at a time per dataset in this process, claims across processes. */
export const runFeedbackExport: ExportRunner = async (hub, actor, job, dataset) => {
  const model = await hub.db.selectFrom('repos').selectAll().where('id', '=', job.sourceId).executeTakeFirst();
  if (!model) throw new HubError('RepoNotFound', 'The model was deleted before the export ran');
  const formats = parseFormats(job.params.formats);
  const result = await datasetExportLocks.run(dataset.id, () => exportLocked(hub, actor, model, dataset, job.createdDataset, formats));
  return { ...result };
};

async function exportLocked(hub: Hub, actor: Actor, model: RepoRow, dataset: RepoRow, created: boolean, formats: ExportFormat[]): Promise<ExportResult> {
  const modelId = `${model.namespace}/${model.name}`;
  const datasetId = `${dataset.namespace}/${dataset.name}`;
  await settlePending(hub, dataset);

  const candidates = await hub.db
    .selectFrom('feedback as f')
    .selectAll('f')
    .where('f.repo_id', '=', model.id)
    .where('f.status', '=', 'accepted')
    .where('f.consent_publish', '=', 1)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('feedback_exported as e').select('e.feedback_id').whereRef('e.feedback_id', '=', 'f.id').where('e.dataset_repo_id', '=', dataset.id))),
    )
    .orderBy('f.created_at')
    .orderBy('f.id')
    .limit(MAX_ITEMS_PER_EXPORT)
    .execute();
  const built = candidates.map((c) => buildRows(modelId, c, formats)).filter((b) => b.sft || b.preference);
  const empty: ExportResult = { dataset: datasetId, created, exported: 0, rows: { sft: 0, preference: 0 }, shard: null, commit: null, files: [] };
  if (built.length === 0) return empty;

  const exportId = randomUUID();
  const exportedAt = nowIso();
  const sftRows = built.filter((b) => b.sft).length;
  const prefRows = built.filter((b) => b.preference).length;
  const shard = await claim(hub, actor, model, dataset, exportId, exportedAt, built, sftRows, prefRows);

  try {
    const files = new Map<string, string>();
    if (sftRows) files.set(`data/sft/${shardName(shard)}`, jsonl(built.flatMap((b) => (b.sft ? [b.sft] : []))));
    if (prefRows) files.set(`data/preference/${shardName(shard)}`, jsonl(built.flatMap((b) => (b.preference ? [b.preference] : []))));
    let sftLine = 0;
    let prefLine = 0;
    files.set(
      `provenance/${shardName(shard)}`,
      jsonl(
        built.map((b) => ({
          feedback_id: b.item.id,
          battle_id: null,
          source: 'feedback',
          model: modelId,
          model_revision: b.item.model_revision,
          // The columns of an arena vote's provenance (arena-export.ts), so that one config reads both.
          rejected_model: b.preference ? modelId : null,
          rejected_model_revision: b.preference ? b.item.model_revision : null,
          submitted_at: b.item.created_at,
          consent_at: b.item.consent_at,
          exported_at: exportedAt,
          export_id: exportId,
          // Where this item's rows are: file and 0-based line.
          sft: b.sft ? { file: `data/sft/${shardName(shard)}`, line: sftLine++ } : null,
          preference: b.preference ? { file: `data/preference/${shardName(shard)}`, line: prefLine++ } : null,
          battle: null,
        })),
      ),
    );
    files.set('README.md', datasetCard(await exportTotals(hub, dataset)));

    const first = built[0]!.item;
    const last = built[built.length - 1]!.item;
    const summary = `Export ${built.length} feedback item(s) from ${modelId}: ${sftRows} SFT row(s), ${prefRows} preference pair(s)`;
    const description = [
      `Shard ${shardName(shard)}; export ${exportId}.`,
      `Feedback submitted ${first.created_at} … ${last.created_at} (ids ${first.id} … ${last.id}).`,
    ].join('\n');
    const commit = await commitFiles(hub, actor, dataset, files, summary, description);
    await hub.db.updateTable('feedback_exports').set({ status: 'done', commit_oid: commit }).where('id', '=', exportId).execute();
    return { dataset: datasetId, created, exported: built.length, rows: { sft: sftRows, preference: prefRows }, shard, commit, files: [...files.keys()] };
  } catch (err) {
    // Give the items back to the next export, unless the commit landed after all (a failure after the ref moved).
    await settle(hub, dataset, exportId, shard);
    throw err;
  }
}

/**
 * Claims the items and a new shard number in one transaction. The primary key
 * of `feedback_exported` refuses an item already claimed for this dataset and
 * the unique (dataset, shard) a shard taken by another export: either way the
 * whole claim rolls back and the export answers 409 without writing anything.
 */
async function claim(
  hub: Hub, actor: Actor, model: RepoRow, dataset: RepoRow, exportId: string, at: string, built: Built[], sftRows: number, prefRows: number,
): Promise<number> {
  const max = await hub.db.selectFrom('feedback_exports').select((eb) => eb.fn.max<number | null>('shard').as('m')).where('dataset_repo_id', '=', dataset.id).executeTakeFirst();
  // Never overwrite a shard that is already in the dataset (say, from before its records were lost).
  const shard = await freeShard(hub, dataset, max?.m === null || max?.m === undefined ? 0 : Number(max.m) + 1, 'part');
  try {
    await hub.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('feedback_exports')
        .values({
          id: exportId, model_repo_id: model.id, dataset_repo_id: dataset.id, shard, status: 'pending', commit_oid: null,
          sft_rows: sftRows, preference_rows: prefRows, created_by: actor.kind === 'user' ? actor.user.id : null, created_at: at,
        })
        .execute();
      for (let i = 0; i < built.length; i += 200) {
        await trx
          .insertInto('feedback_exported')
          .values(built.slice(i, i + 200).map((b) => ({ feedback_id: b.item.id, dataset_repo_id: dataset.id, export_id: exportId })))
          .execute();
      }
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new HubError('Conflict', 'Another export of this feedback to this dataset is running; try again when it has finished');
    throw err;
  }
  return shard;
}

async function release(hub: Hub, exportId: string): Promise<void> {
  await hub.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('feedback_exported').where('export_id', '=', exportId).execute();
    await trx.deleteFrom('feedback_exports').where('id', '=', exportId).execute();
  });
}

/**
 * An export left pending by a crash between its claim and its commit: if its
 * provenance shard is in the dataset, the commit happened; otherwise its items
 * are released. Only claims older than STALE_CLAIM_MS are settled, so a live
 * export of another hub process on the same database is left alone (its items
 * are skipped by the candidate query meanwhile, so nothing is exported twice).
 */
async function settlePending(hub: Hub, dataset: RepoRow): Promise<void> {
  const before = new Date(Date.now() - STALE_CLAIM_MS).toISOString();
  const pending = await hub.db
    .selectFrom('feedback_exports')
    .select(['id', 'shard'])
    .where('dataset_repo_id', '=', dataset.id)
    .where('status', '=', 'pending')
    .where('created_at', '<', before)
    .execute();
  for (const p of pending) await settle(hub, dataset, p.id, p.shard);
}

async function settle(hub: Hub, dataset: RepoRow, exportId: string, shard: number): Promise<void> {
  if (await shardCommitted(hub, dataset, shard, 'part')) {
    await hub.db.updateTable('feedback_exports').set({ status: 'done' }).where('id', '=', exportId).execute();
  } else {
    await release(hub, exportId);
  }
}
