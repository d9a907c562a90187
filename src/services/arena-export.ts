/**
 * Exports an arena's votes to a dataset repo as preference pairs
 * (docs/feedback.md, "Arena votes"): one commit per export that adds
 * `data/preference/arena-NNNNNN.jsonl` and `provenance/arena-NNNNNN.jsonl`
 * and regenerates the card; old shards are never rewritten.
 *
 * Which votes: voted `a` or `b` (a tie or "both bad" says neither answer is
 * better, so it makes no pair), whose voter opted in to publication, and not
 * exported to this dataset before. The prompt and both answers are redacted.
 * The voter is not in the data, not even hashed: a hash of an account id is a
 * stable pseudonym that links one person's votes across datasets.
 *
 * Incremental, idempotent and safe under concurrency exactly like the
 * feedback export: `arena_exported` (primary key (battle, dataset)) and the
 * unique (dataset, shard) of `arena_exports` make a second claim of the same
 * votes or shard fail as a whole (409) before anything is written; exports of
 * one dataset queue on the lock both sources share; a claim left by a crash
 * is settled by a later export once it is older than STALE_CLAIM_MS.
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../auth/actor.js';
import { can } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { parseRepoId } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import { type ArenaRow, canEditArena, type Prompt } from './arena.js';
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
import { redactMessages } from './feedback-export.js';
import { redact } from './feedback-redact.js';
import type { ExportRunner } from './export-jobs.js';
import type { Hub } from './hub.js';
import { accessInfo, type RepoRow } from './repos.js';

const PREFIX = 'arena';

export interface ArenaExportResult {
  dataset: string;
  created: boolean;
  /** votes in this export (one preference pair each) */
  exported: number;
  rows: { preference: number };
  shard: number | null;
  commit: string | null;
  files: string[];
}

interface Vote {
  id: string;
  idx: number;
  model_a: string;
  model_b: string;
  winner: string;
  voted_at: string;
  consent_at: string | null;
  revision_a: string | null;
  revision_b: string | null;
  answer_a: string | null;
  answer_b: string | null;
}

/**
 * `POST /api/arena/{ns}/{slug}/export`, the part done in the request: those who may edit the arena, into a
 * dataset of its namespace (checked or created). The export itself runs as a job (export-jobs.ts).
 */
export async function prepareArenaExport(hub: Hub, actor: Actor, arena: ArenaRow, body: Record<string, unknown>): Promise<{ dataset: RepoRow; created: boolean }> {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be signed in to export arena votes');
  if (actor.token?.role === 'read') throw new HubError('Forbidden', 'A read token cannot export arena votes');
  if (!canEditArena(actor, arena)) throw new HubError('Forbidden', `Only members of ${arena.namespace} who may create arenas there can export its votes`);
  for (const k of Object.keys(body)) if (k !== 'dataset') throw new HubError('BadRequest', `Unknown field "${k}": an arena export takes {"dataset"}`);
  const ref = parseRepoId('dataset', body.dataset);
  const { row: dataset, created } = await targetDataset(hub, actor, arena.namespace, 'arena', ref);
  return { dataset, created };
}

/** The export job of arena votes (export-jobs.ts). */
export const runArenaExport: ExportRunner = async (hub, actor, job, dataset) => {
  const arena = await hub.db.selectFrom('arenas').selectAll().where('id', '=', job.sourceId).executeTakeFirst();
  if (!arena) throw new HubError('NotFound', 'The arena was deleted before the export ran');
  const result = await datasetExportLocks.run(dataset.id, () => exportLocked(hub, actor, arena, dataset, job.createdDataset));
  return { ...result };
};

async function exportLocked(hub: Hub, actor: Actor, arena: ArenaRow, dataset: RepoRow, created: boolean): Promise<ArenaExportResult> {
  const datasetId = `${dataset.namespace}/${dataset.name}`;
  const arenaName = `${arena.namespace}/${arena.slug}`;
  await settlePending(hub, dataset);

  // Claimed votes (also those of a live export in another process) are skipped, so nothing is written twice.
  const votes: Vote[] = await hub.db
    .selectFrom('arena_battles as b')
    .select(['b.id', 'b.idx', 'b.model_a', 'b.model_b', 'b.winner', 'b.voted_at', 'b.consent_at', 'b.revision_a', 'b.revision_b', 'b.answer_a', 'b.answer_b'])
    .where('b.arena_id', '=', arena.id)
    .where('b.winner', 'in', ['a', 'b'])
    .where('b.consent_publish', '=', 1)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('arena_exported as e').select('e.battle_id').whereRef('e.battle_id', '=', 'b.id').where('e.dataset_repo_id', '=', dataset.id))),
    )
    .orderBy('b.voted_at')
    .orderBy('b.id')
    .limit(MAX_ITEMS_PER_EXPORT)
    .execute() as Vote[];
  if (votes.length === 0) return { dataset: datasetId, created, exported: 0, rows: { preference: 0 }, shard: null, commit: null, files: [] };

  const exportId = randomUUID();
  const exportedAt = nowIso();
  const shard = await claim(hub, actor, arena, dataset, exportId, exportedAt, votes);
  try {
    const prefFile = `data/preference/${shardName(shard, PREFIX)}`;
    const texts = await battleTexts(hub, arena, votes);
    const readable = await readableRevisions(hub, actor, votes);
    const pairs: unknown[] = [];
    const provenance: unknown[] = [];
    votes.forEach((v, line) => {
      const t = texts.get(v.id)!;
      const aWon = v.winner === 'a';
      const side = (model: string, revision: string | null, answer: string) => ({ model, revision: readable(model) ? revision : null, answer });
      const win = aWon ? side(v.model_a, v.revision_a, t.a) : side(v.model_b, v.revision_b, t.b);
      const lose = aWon ? side(v.model_b, v.revision_b, t.b) : side(v.model_a, v.revision_a, t.a);
      const who = { model: win.model, model_revision: win.revision, rejected_model: lose.model, rejected_model_revision: lose.revision };
      pairs.push({
        prompt: redactMessages(t.prompt),
        chosen: [{ role: 'assistant', content: redact(win.answer) }],
        rejected: [{ role: 'assistant', content: redact(lose.answer) }],
        source: 'arena',
        feedback_id: null,
        battle_id: v.id,
        ...who,
      });
      provenance.push({
        feedback_id: null,
        battle_id: v.id,
        source: 'arena',
        ...who,
        submitted_at: v.voted_at,
        consent_at: v.consent_at,
        exported_at: exportedAt,
        export_id: exportId,
        sft: null,
        preference: { file: prefFile, line },
        battle: {
          arena: arenaName,
          prompt_id: t.promptId,
          // Where the prompt (and, unless the arena is live, the answers) came from: the dataset commit the arena is pinned to.
          dataset: arena.dataset,
          dataset_revision: arena.commit_sha,
          live: arena.live === 1,
          model_a: v.model_a,
          model_b: v.model_b,
          winner: v.winner,
        },
      });
    });
    const files = new Map<string, string>([
      [prefFile, jsonl(pairs)],
      [`provenance/${shardName(shard, PREFIX)}`, jsonl(provenance)],
      ['README.md', datasetCard(await exportTotals(hub, dataset))],
    ]);
    const summary = `Export ${votes.length} arena vote(s) from ${arenaName}: ${votes.length} preference pair(s)`;
    const description = [
      `Shard ${shardName(shard, PREFIX)}; export ${exportId}.`,
      `Votes cast ${votes[0]!.voted_at} … ${votes[votes.length - 1]!.voted_at} (battles ${votes[0]!.id} … ${votes[votes.length - 1]!.id}).`,
    ].join('\n');
    const commit = await commitFiles(hub, actor, dataset, files, summary, description);
    await hub.db.updateTable('arena_exports').set({ status: 'done', commit_oid: commit }).where('id', '=', exportId).execute();
    return { dataset: datasetId, created, exported: votes.length, rows: { preference: votes.length }, shard, commit, files: [...files.keys()] };
  } catch (err) {
    // Give the votes back to the next export, unless the commit landed after all.
    await settle(hub, dataset, exportId, shard);
    throw err;
  }
}

/** The prompt (as chat messages) and both answers of each vote: a live battle holds its answers, a dataset battle's are in arena_answers. */
async function battleTexts(hub: Hub, arena: ArenaRow, votes: Vote[]): Promise<Map<string, { promptId: string; prompt: { role: string; content: string }[]; a: string; b: string }>> {
  const idxs = [...new Set(votes.map((v) => v.idx))];
  const prompts = new Map<number, { id: string; prompt: Prompt }>();
  const answers = new Map<string, string>();
  for (let i = 0; i < idxs.length; i += 500) {
    const chunk = idxs.slice(i, i + 500);
    for (const p of await hub.db.selectFrom('arena_prompts').select(['idx', 'prompt_id', 'prompt']).where('arena_id', '=', arena.id).where('idx', 'in', chunk).execute()) {
      prompts.set(p.idx, { id: p.prompt_id, prompt: JSON.parse(p.prompt) as Prompt });
    }
    if (arena.live !== 1) {
      for (const a of await hub.db.selectFrom('arena_answers').select(['idx', 'model', 'answer']).where('arena_id', '=', arena.id).where('idx', 'in', chunk).execute()) {
        answers.set(`${a.idx}\n${a.model}`, a.answer);
      }
    }
  }
  const out = new Map<string, { promptId: string; prompt: { role: string; content: string }[]; a: string; b: string }>();
  for (const v of votes) {
    const p = prompts.get(v.idx)!;
    out.set(v.id, {
      promptId: p.id,
      prompt: typeof p.prompt === 'string' ? [{ role: 'user', content: p.prompt }] : p.prompt,
      a: v.answer_a ?? answers.get(`${v.idx}\n${v.model_a}`) ?? '',
      b: v.answer_b ?? answers.get(`${v.idx}\n${v.model_b}`) ?? '',
    });
  }
  return out;
}

/**
 * Which models' revisions the exporter may publish: those whose repo here
 * they can read. A private model's commit ids stay out of the dataset of
 * someone who cannot see the model (its name is the arena's, already public
 * to the arena's readers).
 */
async function readableRevisions(hub: Hub, actor: Actor, votes: Vote[]): Promise<(model: string) => boolean> {
  const names = [...new Set(votes.flatMap((v) => [v.model_a, v.model_b]).map((m) => m.toLowerCase()))];
  const ok = new Set<string>();
  for (let i = 0; i < names.length; i += 500) {
    const rows = await hub.db.selectFrom('repos').selectAll().where('type', '=', 'model').where('full_name_lc', 'in', names.slice(i, i + 500)).execute();
    for (const r of rows) if (can(actor, 'read', accessInfo(r))) ok.add(r.full_name_lc);
  }
  return (model) => ok.has(model.toLowerCase());
}

/** Claims the votes and a new shard number in one transaction (see the module comment). */
async function claim(hub: Hub, actor: Actor, arena: ArenaRow, dataset: RepoRow, exportId: string, at: string, votes: Vote[]): Promise<number> {
  const max = await hub.db.selectFrom('arena_exports').select((eb) => eb.fn.max<number | null>('shard').as('m')).where('dataset_repo_id', '=', dataset.id).executeTakeFirst();
  const shard = await freeShard(hub, dataset, max?.m === null || max?.m === undefined ? 0 : Number(max.m) + 1, PREFIX);
  try {
    await hub.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('arena_exports')
        .values({
          id: exportId, arena_id: arena.id, dataset_repo_id: dataset.id, shard, status: 'pending', commit_oid: null,
          preference_rows: votes.length, created_by: actor.kind === 'user' ? actor.user.id : null, created_at: at,
        })
        .execute();
      for (let i = 0; i < votes.length; i += 200) {
        await trx
          .insertInto('arena_exported')
          .values(votes.slice(i, i + 200).map((v) => ({ battle_id: v.id, dataset_repo_id: dataset.id, export_id: exportId })))
          .execute();
      }
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new HubError('Conflict', 'Another export of these votes to this dataset is running; try again when it has finished');
    throw err;
  }
  return shard;
}

async function release(hub: Hub, exportId: string): Promise<void> {
  await hub.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('arena_exported').where('export_id', '=', exportId).execute();
    await trx.deleteFrom('arena_exports').where('id', '=', exportId).execute();
  });
}

/** Settles the claims a crash left pending on this dataset (older than STALE_CLAIM_MS, so a live export elsewhere is left alone). */
async function settlePending(hub: Hub, dataset: RepoRow): Promise<void> {
  const before = new Date(Date.now() - STALE_CLAIM_MS).toISOString();
  const pending = await hub.db
    .selectFrom('arena_exports')
    .select(['id', 'shard'])
    .where('dataset_repo_id', '=', dataset.id)
    .where('status', '=', 'pending')
    .where('created_at', '<', before)
    .execute();
  for (const p of pending) await settle(hub, dataset, p.id, p.shard);
}

/** Done if the claim's provenance shard is in the dataset, released otherwise. */
async function settle(hub: Hub, dataset: RepoRow, exportId: string, shard: number): Promise<void> {
  if (await shardCommitted(hub, dataset, shard, PREFIX)) {
    await hub.db.updateTable('arena_exports').set({ status: 'done' }).where('id', '=', exportId).execute();
  } else {
    await release(hub, exportId);
  }
}
