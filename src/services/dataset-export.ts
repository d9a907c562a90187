/**
 * What the exports of feedback (feedback-export.ts) and of arena votes
 * (arena-export.ts) share: the target dataset, the per-dataset lock, shard
 * names, the commit, and the dataset card that describes everything both
 * sources have written to the dataset (docs/feedback.md).
 *
 * Each source keeps its own claim tables and shard sequence and writes its
 * own file names (`part-NNNNNN.jsonl` for feedback, `arena-NNNNNN.jsonl` for
 * votes) into the same folders, so the two never collide and the card's
 * globs (`data/preference/*.jsonl`) find both.
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Actor } from '../auth/actor.js';
import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import { createCommit } from './commit.js';
import type { CommitOp, CommitPayload } from './commit-payload.js';
import { type Hub, KeyedMutex } from './hub.js';
import { createRepo, findRepo, getRepo, type RepoRow } from './repos.js';
import { resolveBranch } from './revisions.js';
import { lookupPath } from './tree-index.js';

/** Items (feedback or votes) per export: a larger backlog goes out over several exports. */
export const MAX_ITEMS_PER_EXPORT = 5000;

/** A claim older than this whose commit is not in the dataset was left by a crash: no commit takes this long. */
export const STALE_CLAIM_MS = 10 * 60 * 1000;

/** Exports to one dataset, whatever their source, queue here: one commit at a time, and the card sees every earlier one. */
export const datasetExportLocks = new KeyedMutex();

export const shardName = (n: number, prefix = 'part'): string => `${prefix}-${String(n).padStart(6, '0')}.jsonl`;

export const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** Finds the dataset, or creates it private in `namespace` (the model's or the arena's). */
export async function targetDataset(hub: Hub, actor: Actor, namespace: string, whose: string, ref: RepoRef): Promise<{ row: RepoRow; created: boolean }> {
  if (ref.namespace.toLowerCase() !== namespace.toLowerCase()) {
    throw new HubError('BadRequest', `The dataset must belong to the ${whose}'s namespace (${namespace}/…)`);
  }
  if (await findRepo(hub, ref)) return { row: await getRepo(hub, actor, ref, 'write'), created: false };
  try {
    return { row: await createRepo(hub, actor, { ref, private: true }), created: true };
  } catch (err) {
    // Another export created it a moment ago.
    if (err instanceof HubError && err.code === 'Conflict') return { row: await getRepo(hub, actor, ref, 'write'), created: false };
    throw err;
  }
}

/** The first shard number from `next` on whose provenance file is not in the dataset yet (say, from before its records were lost). */
export async function freeShard(hub: Hub, dataset: RepoRow, next: number, prefix: string): Promise<number> {
  const head = await resolveBranch(hub, dataset, dataset.default_branch);
  let shard = next;
  while (await lookupPath(hub, dataset.id, head.tree, `provenance/${shardName(shard, prefix)}`)) shard++;
  return shard;
}

/** Is this shard's provenance file in the dataset's head (the commit of a claim landed)? */
export async function shardCommitted(hub: Hub, dataset: RepoRow, shard: number, prefix: string): Promise<boolean> {
  const head = await resolveBranch(hub, dataset, dataset.default_branch);
  return (await lookupPath(hub, dataset.id, head.tree, `provenance/${shardName(shard, prefix)}`)) !== undefined;
}

/** Is a unique-constraint error (the claim lost a race)? */
export const isUniqueViolation = (err: unknown): boolean => /unique|duplicate|primary key/i.test(String(err));

/**
 * One commit through the hub's commit service, on top of the head it read
 * (`parentCommit`): if the dataset moved in between, the files are committed
 * again on the new head (they are new paths, and the card is regenerated
 * from the database), a few times at most.
 */
export async function commitFiles(hub: Hub, actor: Actor, dataset: RepoRow, files: Map<string, string>, summary: string, description: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const head = await resolveBranch(hub, dataset, dataset.default_branch);
    const ops: CommitOp[] = [];
    const payload: CommitPayload = {
      header: { summary, description, parentCommit: head.commit },
      ops,
      cleanup: async () => {
        await Promise.all(ops.map((o) => (o.kind === 'file' ? rm(o.tmpFile, { force: true }) : undefined)));
      },
    };
    try {
      for (const [p, text] of files) {
        const tmpFile = path.join(hub.tmpDir, `export-${randomBytes(8).toString('hex')}`);
        await writeFile(tmpFile, text);
        ops.push({ kind: 'file', path: p, tmpFile, size: Buffer.byteLength(text) });
      }
      return (await createCommit(hub, actor, dataset, dataset.default_branch, payload)).commitOid;
    } catch (err) {
      if (!(err instanceof HubError && err.code === 'PreconditionFailed') || attempt >= 4) throw err;
    } finally {
      await payload.cleanup();
    }
  }
}

/** What the dataset holds so far, from both sources' export records (the pending export included). */
export interface ExportTotals {
  /** models whose feedback is in the dataset, `namespace/name` */
  models: string[];
  /** arenas whose votes are in the dataset, `namespace/slug` */
  arenas: string[];
  sft: number;
  feedbackPairs: number;
  arenaPairs: number;
  exports: number;
}

export async function exportTotals(hub: Hub, dataset: RepoRow): Promise<ExportTotals> {
  const fb = await hub.db
    .selectFrom('feedback_exports as x')
    .innerJoin('repos as r', 'r.id', 'x.model_repo_id')
    .select(['r.namespace', 'r.name', (eb) => eb.fn.sum<number | string>('x.sft_rows').as('sft'), (eb) => eb.fn.sum<number | string>('x.preference_rows').as('pref'), (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('x.dataset_repo_id', '=', dataset.id)
    .groupBy(['r.namespace', 'r.name'])
    .orderBy('r.namespace')
    .orderBy('r.name')
    .execute();
  const ar = await hub.db
    .selectFrom('arena_exports as x')
    .innerJoin('arenas as a', 'a.id', 'x.arena_id')
    .select(['a.namespace', 'a.slug', (eb) => eb.fn.sum<number | string>('x.preference_rows').as('pref'), (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('x.dataset_repo_id', '=', dataset.id)
    .groupBy(['a.namespace', 'a.slug'])
    .orderBy('a.namespace')
    .orderBy('a.slug')
    .execute();
  const sum = (rows: { n: number | string }[]): number => rows.reduce((s, r) => s + Number(r.n), 0);
  return {
    models: fb.map((r) => `${r.namespace}/${r.name}`),
    arenas: ar.map((r) => `${r.namespace}/${r.slug}`),
    sft: fb.reduce((s, r) => s + Number(r.sft ?? 0), 0),
    feedbackPairs: fb.reduce((s, r) => s + Number(r.pref ?? 0), 0),
    arenaPairs: ar.reduce((s, r) => s + Number(r.pref ?? 0), 0),
    exports: sum(fb) + sum(ar),
  };
}

/** The dataset card: `configs` so that `datasets.load_dataset` finds every shard, and what the data is and where it came from. */
export function datasetCard(t: ExportTotals): string {
  const configs: string[] = [];
  const config = (name: string, glob: string): string => `- config_name: ${name}\n  data_files:\n  - split: train\n    path: ${glob}\n`;
  if (t.sft > 0) configs.push(config('sft', 'data/sft/*.jsonl'));
  if (t.feedbackPairs + t.arenaPairs > 0) configs.push(config('preference', 'data/preference/*.jsonl'));
  configs.push(config('provenance', 'provenance/*.jsonl'));
  const link = (id: string): string => `[${id}](/${id})`;
  const arenaLink = (id: string): string => `[${id}](/arena/${id})`;
  const title =
    t.arenas.length === 0 && t.models.length === 1 ? `Feedback on ${t.models[0]}`
    : t.models.length === 0 && t.arenas.length === 1 ? `Votes in the arena ${t.arenas[0]}`
    : 'Feedback and arena votes';
  const heading =
    t.arenas.length === 0 && t.models.length === 1 ? `Feedback on ${link(t.models[0]!)}`
    : t.models.length === 0 && t.arenas.length === 1 ? `Votes in the arena ${arenaLink(t.arenas[0]!)}`
    : 'Feedback and arena votes';
  const sources: string[] = [];
  if (t.models.length) {
    sources.push(`User feedback on the answers of ${t.models.map(link).join(', ')}, exported by Orchard from feedback the model's owners
accepted and whose submitters agreed to publication.`);
  }
  if (t.arenas.length) {
    sources.push(`Blind pairwise votes from ${t.arenas.map(arenaLink).join(', ')}: for each vote where one answer won, the winner's
answer is chosen and the loser's rejected. Only votes whose voters opted in to publication are exported; ties
and "both bad" votes express no preference between the two answers and are not exported.`);
  }
  const consent = [
    ...(t.models.length ? ['Only feedback whose submitter ticked "publish" is exported.'] : []),
    ...(t.arenas.length ? ['Only arena votes whose voter ticked "publish my vote" are exported; voters are not identified in the data.'] : []),
  ].join(' ');
  return `---
license: other
pretty_name: ${title}
tags:
${t.models.length ? '- feedback\n' : ''}${t.arenas.length ? '- arena\n' : ''}- orchard
configs:
${configs.join('')}---

# ${heading}

${sources.join('\n\n')}

${t.exports} export(s) so far: ${t.sft} chat (SFT) rows and ${t.feedbackPairs + t.arenaPairs} preference pairs
(${t.feedbackPairs} from feedback, ${t.arenaPairs} from arena votes).

## Configurations

- \`sft\`: \`{"messages": [{"role", "content"}…], "feedback_id", "model", "model_revision"}\`: the prompt
  and a good answer (the submitter's correction when there is one, otherwise an answer rated 4, 5 or up).
- \`preference\`: \`{"prompt": [messages], "chosen": [{"role": "assistant", …}], "rejected": […], "source",
  "feedback_id", "battle_id", "model", "model_revision", "rejected_model", "rejected_model_revision"}\`:
  from feedback (\`source: "feedback"\`), the submitter's correction is chosen over the model's answer; from
  the arena (\`source: "arena"\`), the winning model's answer over the losing model's.
- \`provenance\`: one row per exported feedback item or vote: its id, the models and the exact revisions that
  answered, when it was given and consented to, when it was exported, and where its rows are.

Each export appends new \`part-NNNNNN.jsonl\` (feedback) or \`arena-NNNNNN.jsonl\` (votes) files and never
rewrites earlier ones.

## Consent and redaction

${consent} Obvious personal data and secrets (e-mail
addresses, phone numbers, API keys and tokens, IP addresses, card numbers) are replaced by \`[EMAIL]\`,
\`[PHONE]\`, \`[KEY]\`, \`[IP]\` and \`[CARD]\` before export; this is a best effort, not a guarantee.
The dataset's owners decide the license under which they share it (\`license: other\` until they do).
`;
}
