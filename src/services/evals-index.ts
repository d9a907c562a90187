import { randomBytes } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import { parse as parseYaml } from 'yaml';
import { nowIso } from '../core/time.js';
import type { RepoType } from '../core/repo-id.js';
import type { EvalBenchmarksTable, EvalResultsTable } from '../db/schema-evals.js';
import type { Database, TreeEntriesTable } from '../db/schema.js';
import type { CatFile } from '../repo/cat-file.js';

/**
 * Extraction of evaluation data at a repo's head, run by the indexer when the
 * default branch moves (docs/evaluations.md): a dataset's `eval.yaml` makes it
 * a benchmark; a model's card `model-index` and `.eval_results/*.yaml` files
 * give self-reported results. Kept apart from the queries (evals.ts) because
 * the indexer sits below the repo services.
 */

/** eval.yaml and each results file are a few KiB; anything larger is refused, not read. */
export const MAX_EVAL_YAML_BYTES = 64 * 1024;
/** Results files read per model head, and results kept per model head. */
const MAX_RESULT_FILES = 100;
const MAX_RESULTS_PER_HEAD = 1000;

export type BenchmarkDefinition = Pick<EvalBenchmarksTable, 'name' | 'description' | 'task' | 'metric' | 'split' | 'samples_path'> & { higher_is_better: boolean };

/** Parses and validates an eval.yaml text: the definition, or every problem found. */
export function parseEvalYaml(text: string): { ok: true; def: BenchmarkDefinition } | { ok: false; error: string } {
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, error: `eval.yaml is not valid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, error: 'eval.yaml must be a YAML mapping' };
  const d = data as Record<string, unknown>;
  const problems: string[] = [];
  const str = (key: string, required: boolean): string | null => {
    const v = d[key];
    if (v === undefined || v === null) {
      if (required) problems.push(`"${key}" is required`);
      return null;
    }
    if (typeof v !== 'string' || v.trim() === '' || v.length > 2000) {
      problems.push(`"${key}" must be a non-empty string`);
      return null;
    }
    return v.trim();
  };
  const task = str('task', true);
  const metric = str('metric', true);
  const split = str('split', true);
  const name = str('name', false);
  const description = str('description', false);
  const samples = str('samples', false);
  if (samples !== null && (samples.startsWith('/') || samples.split('/').some((s) => s === '..' || s === ''))) problems.push('"samples" must be a path inside the repo');
  const hib = d.higher_is_better;
  if (hib !== undefined && hib !== null && typeof hib !== 'boolean') problems.push('"higher_is_better" must be true or false');
  if (problems.length) return { ok: false, error: `eval.yaml: ${problems.join('; ')}` };
  return { ok: true, def: { name, description, task, metric, split, samples_path: samples, higher_is_better: hib !== false } };
}

type Entry = Pick<Insertable<TreeEntriesTable>, 'tree_oid' | 'entry_name' | 'kind' | 'oid' | 'size' | 'lfs_oid'>;

export interface EvalsAtHead {
  benchmark?: Insertable<EvalBenchmarksTable>;
  /** results of a model's head (replacing its card and file results) */
  results?: Insertable<EvalResultsTable>[];
}

async function entriesOf(db: Kysely<Database>, repoId: string, tree: string, fresh: Entry[]): Promise<Map<string, Entry>> {
  const m = new Map<string, Entry>();
  for (const e of fresh) if (e.tree_oid === tree) m.set(e.entry_name, e);
  if (m.size === 0) {
    const rows = await db.selectFrom('tree_entries').select(['tree_oid', 'entry_name', 'kind', 'oid', 'size', 'lfs_oid']).where('repo_id', '=', repoId).where('tree_oid', '=', tree).execute();
    for (const e of rows) m.set(e.entry_name, e);
  }
  return m;
}

/** The text of a small regular file, or an error saying why it was not read. */
async function smallText(cat: CatFile, e: Entry): Promise<{ text: string } | { error: string }> {
  if (e.kind !== 'blob') return { error: `${e.entry_name} is not a file` };
  if (e.lfs_oid) return { error: `${e.entry_name} is stored in LFS; it must be a small regular file` };
  if (Number(e.size) > MAX_EVAL_YAML_BYTES) return { error: `${e.entry_name} is larger than ${MAX_EVAL_YAML_BYTES} bytes` };
  const obj = await cat.contents(e.oid);
  if (!obj) return { error: `${e.entry_name} could not be read` };
  return { text: obj.content.toString('utf8') };
}

/**
 * What a repo's head says about evaluations. Called by the indexer with the
 * head's root tree, the entries it has just indexed (not yet in the database),
 * its open `cat-file`, the parsed card and the head commit's author.
 */
export async function evalsAtHead(
  db: Kysely<Database>,
  repo: { id: string; type: RepoType },
  cat: CatFile,
  head: { oid: string; tree: string; author: string },
  fresh: Entry[],
  cardData: Record<string, unknown> | undefined,
): Promise<EvalsAtHead> {
  if (repo.type === 'dataset') {
    const root = await entriesOf(db, repo.id, head.tree, fresh);
    const file = root.get('eval.yaml');
    if (!file) return {};
    const base = { repo_id: repo.id, revision: head.oid, is_head: 1, indexed_at: nowIso() };
    const read = await smallText(cat, file);
    const parsed = 'error' in read ? ({ ok: false, error: read.error } as const) : parseEvalYaml(read.text);
    if (!parsed.ok) {
      return { benchmark: { ...base, valid: 0, error: parsed.error, name: null, description: null, task: null, metric: null, split: null, higher_is_better: 1, samples_path: null } };
    }
    return { benchmark: { ...base, valid: 1, error: null, ...parsed.def, higher_is_better: parsed.def.higher_is_better ? 1 : 0 } };
  }
  if (repo.type !== 'model') return {};
  const producer = head.author || 'unknown';
  const results: Insertable<EvalResultsTable>[] = [];
  const common = (source: string) => ({
    model_repo_id: repo.id, model_revision: head.oid, source, self_reported: 1, producer_user_id: null, producer_name: producer,
    reproduced_from: null, contaminated: 0, unverified: 0, flag_note: null, flagged_by: null, flagged_at: null, created_at: nowIso(), n: null,
  });
  // A metric the Hub marked `verified` was computed by its evaluation service, not reported by the authors.
  for (const r of modelIndexResults(cardData?.['model-index'])) results.push({ id: newResultId(), ...common('card'), ...r, self_reported: r.verified ? 0 : 1 });
  const root = await entriesOf(db, repo.id, head.tree, fresh);
  const dir = root.get('.eval_results');
  if (dir && dir.kind === 'tree') {
    const files = [...(await entriesOf(db, repo.id, dir.oid, fresh)).values()]
      .filter((e) => e.kind === 'blob' && /\.ya?ml$/i.test(e.entry_name))
      .sort((a, b) => (a.entry_name < b.entry_name ? -1 : 1))
      .slice(0, MAX_RESULT_FILES);
    for (const f of files) {
      const read = await smallText(cat, f);
      if ('error' in read) continue;
      let data: unknown;
      try {
        data = parseYaml(read.text, { maxAliasCount: 100 });
      } catch {
        continue; // a broken results file gives no results; the card's still count
      }
      for (const r of fileResults(data)) results.push({ id: newResultId(), ...common(`file:.eval_results/${f.entry_name}`), ...r });
    }
  }
  return { results: results.slice(0, MAX_RESULTS_PER_HEAD) };
}

export function newResultId(): string {
  return randomBytes(8).toString('hex');
}

type Parsed = Pick<EvalResultsTable, 'benchmark' | 'benchmark_key' | 'benchmark_name' | 'benchmark_revision' | 'task' | 'metric' | 'value' | 'source_url' | 'verified' | 'notes'>;

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 500) : null);

/** A metric value as a number: numbers, and strings that are one (the Hub also allows "20.0 ± 1.2", which is kept out). */
function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

function parsed(benchmark: string, rest: Omit<Parsed, 'benchmark' | 'benchmark_key'>): Parsed {
  return { benchmark, benchmark_key: benchmark.toLowerCase(), ...rest };
}

/** `model-index[].results[].metrics[]` of a card, one result per metric with a numeric value. */
export function modelIndexResults(index: unknown): Parsed[] {
  const out: Parsed[] = [];
  if (!Array.isArray(index)) return out;
  for (const m of index) {
    const results = typeof m === 'object' && m !== null ? (m as Record<string, unknown>).results : undefined;
    if (!Array.isArray(results)) continue;
    for (const r of results) {
      if (typeof r !== 'object' || r === null) continue;
      const rr = r as Record<string, any>;
      const dataset = typeof rr.dataset === 'object' && rr.dataset !== null ? (rr.dataset as Record<string, unknown>) : {};
      const benchmark = text(dataset.type) ?? text(dataset.name);
      if (!benchmark || !Array.isArray(rr.metrics)) continue;
      for (const metric of rr.metrics) {
        if (typeof metric !== 'object' || metric === null) continue;
        const value = numeric(metric.value);
        const type = text(metric.type) ?? text(metric.name);
        if (value === undefined || !type) continue;
        out.push(parsed(benchmark, {
          benchmark_name: text(dataset.name), benchmark_revision: text(dataset.revision), task: text(rr.task?.type), metric: type, value,
          source_url: text(rr.source?.url), verified: metric.verified === true ? 1 : 0, notes: null,
        }));
      }
    }
  }
  return out;
}

/**
 * One `.eval_results/*.yaml` file: the Hub's list of entries
 * (`{dataset: {id, task_id, revision?}, value, source?: {url}, notes?}`), the
 * flat Orchard form (`{benchmark, metric?, value, revision?, source?}`), or a
 * `model-index` (the list, or a mapping holding it).
 */
export function fileResults(data: unknown): Parsed[] {
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    const d = data as Record<string, unknown>;
    if (Array.isArray(d['model-index'])) return modelIndexResults(d['model-index']);
    data = [d];
  }
  if (!Array.isArray(data)) return [];
  if (data.some((e) => typeof e === 'object' && e !== null && Array.isArray((e as Record<string, unknown>).results))) return modelIndexResults(data);
  const out: Parsed[] = [];
  for (const raw of data) {
    if (typeof raw !== 'object' || raw === null) continue;
    const e = ((raw as Record<string, unknown>).data ?? raw) as Record<string, any>;
    const value = numeric(e.value);
    if (value === undefined) continue;
    const ds = typeof e.dataset === 'object' && e.dataset !== null ? (e.dataset as Record<string, unknown>) : undefined;
    const benchmark = ds ? text(ds.id) : text(e.benchmark);
    if (!benchmark) continue;
    const source = typeof e.source === 'object' && e.source !== null ? text(e.source.url) : text(e.source);
    out.push(parsed(benchmark, {
      benchmark_name: null, benchmark_revision: ds ? text(ds.revision) : text(e.revision), task: ds ? text(ds.task_id) : text(e.task),
      metric: text(e.metric), value, source_url: source, verified: 0, notes: text(e.notes),
    }));
  }
  return out;
}

/**
 * Saves what `evalsAtHead` found (in the indexer's transaction). A dataset's
 * new head definition becomes the head one; a model's card and file results
 * are replaced, keeping the flags writers set on a result that is still
 * there (same source, benchmark, metric and task).
 */
export async function saveEvals(db: Kysely<Database>, repoId: string, found: EvalsAtHead, repoType: RepoType): Promise<void> {
  if (repoType === 'dataset') {
    await db.updateTable('eval_benchmarks').set({ is_head: 0 }).where('repo_id', '=', repoId).where('is_head', '=', 1).execute();
    if (found.benchmark) {
      const b = found.benchmark;
      await db.insertInto('eval_benchmarks').values(b).onConflict((oc) => oc.columns(['repo_id', 'revision']).doUpdateSet({ ...b })).execute();
    }
    return;
  }
  if (!found.results) return;
  const old = await db
    .selectFrom('eval_results')
    .select(['source', 'benchmark_key', 'metric', 'task', 'contaminated', 'unverified', 'flag_note', 'flagged_by', 'flagged_at'])
    .where('model_repo_id', '=', repoId)
    .where('source', '!=', 'api')
    .where((eb) => eb.or([eb('contaminated', '=', 1), eb('unverified', '=', 1)]))
    .execute();
  const key = (r: { source: string; benchmark_key: string; metric?: string | null | undefined; task?: string | null | undefined }): string => JSON.stringify([r.source, r.benchmark_key, r.metric ?? null, r.task ?? null]);
  const flags = new Map(old.map((o) => [key(o), o]));
  await db.deleteFrom('eval_results').where('model_repo_id', '=', repoId).where('source', '!=', 'api').execute();
  const rows = found.results.map((r) => {
    const f = flags.get(key(r));
    return f ? { ...r, contaminated: f.contaminated, unverified: f.unverified, flag_note: f.flag_note, flagged_by: f.flagged_by, flagged_at: f.flagged_at } : r;
  });
  for (let i = 0; i < rows.length; i += 50) await db.insertInto('eval_results').values(rows.slice(i, i + 50)).execute();
}
