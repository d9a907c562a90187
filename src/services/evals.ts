import type { Readable } from 'node:stream';
import type { Selectable } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { can } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import type { EvalBenchmarksTable, EvalResultsTable } from '../db/schema-evals.js';
import { spawnGit } from '../repo/git.js';
import { type BenchmarkDefinition, newResultId, parseEvalYaml } from './evals-index.js';
import { gitRepoFor, type Hub } from './hub.js';
import { readSmallFile } from './preupload.js';
import { accessInfo, getRepo, type RepoRow } from './repos.js';
import { resolveRevision } from './revisions.js';
import { lookupPath } from './tree-index.js';

/**
 * Evaluation results as data (docs/evaluations.md): benchmarks defined by
 * datasets, results read from model repos (evals-index.ts) or posted through
 * the API with per-sample scores, and the queries behind the API and the UI.
 */

/** Samples accepted in one result: 50k rows is a large benchmark; the packed columns stay under ~2 MB. */
export const MAX_SAMPLES = 50_000;
/** Longest sample id, and longest JSONL line of a samples file. */
const MAX_SAMPLE_ID = 256;
const MAX_JSONL_LINE = 64 * 1024;
/** Sample ids a benchmark's samples file may list (read to check posted ids). */
const MAX_BENCHMARK_SAMPLES = 1_000_000;
const MAX_NOTES = 10_000;

export type ResultRow = Selectable<EvalResultsTable>;
export type BenchmarkRow = Selectable<EvalBenchmarksTable>;

export interface Sample {
  id: string;
  score: number;
  costTokens?: number;
  costUsd?: number;
  latencyMs?: number;
}

// ---------------------------------------------------------------- packing

/** A column of numbers as base64 of little-endian float64 (NaN where absent); null when all are absent. */
export function packColumn(values: (number | undefined)[], keepEmpty = false): string | null {
  if (!keepEmpty && values.every((v) => v === undefined)) return null;
  const buf = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => buf.writeDoubleLE(v ?? Number.NaN, i * 8));
  return buf.toString('base64');
}

export function unpackColumn(packed: string | null, count: number): (number | undefined)[] {
  if (packed === null) return new Array<undefined>(count).fill(undefined);
  const buf = Buffer.from(packed, 'base64');
  const out: (number | undefined)[] = [];
  for (let i = 0; i < count; i++) {
    const v = buf.readDoubleLE(i * 8);
    out.push(Number.isNaN(v) ? undefined : v);
  }
  return out;
}

// ---------------------------------------------------------------- reading files

/** The lines of a file at a tree, streamed (LFS objects from the blob store, regular files from git). */
export async function* fileLines(hub: Hub, repo: RepoRow, tree: string, path: string): AsyncGenerator<string> {
  const entry = await lookupPath(hub, repo.id, tree, path);
  if (!entry || entry.kind !== 'blob') throw new HubError('EntryNotFound', `${path} does not exist in ${repo.namespace}/${repo.name}`);
  let stream: Readable;
  let stop = (): void => undefined;
  if (entry.lfs) {
    stream = await hub.blobs.read(entry.lfs.oid);
    stop = () => stream.destroy();
  } else {
    const child = spawnGit(gitRepoFor(hub, repo.id).gitDir, ['cat-file', 'blob', entry.oid]);
    child.stdin!.end();
    child.stderr!.resume();
    stream = child.stdout! as Readable;
    stop = () => void child.kill();
  }
  try {
    yield* boundedLines(stream as AsyncIterable<Buffer>, path);
  } finally {
    stop();
  }
}

/** The JSON values of a JSONL file in a repo, with their line numbers; blank lines skipped, a bad line refused. */
async function* jsonLines(hub: Hub, repo: RepoRow, tree: string, path: string, badLine: (lineNo: number) => string): AsyncGenerator<{ value: unknown; lineNo: number }> {
  let lineNo = 0;
  for await (const line of fileLines(hub, repo, tree, path)) {
    lineNo++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new HubError('BadRequest', badLine(lineNo));
    }
    yield { value, lineNo };
  }
}

/**
 * Splits a byte stream into UTF-8 lines (without `\r\n` or `\n`) holding at
 * most one line in memory: a file with no newline in its first
 * MAX_JSONL_LINE bytes is refused rather than buffered whole.
 */
async function* boundedLines(source: AsyncIterable<Buffer>, path: string): AsyncGenerator<string> {
  const tooLong = (): HubError => new HubError('BadRequest', `${path}: a line is longer than ${MAX_JSONL_LINE} bytes`);
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const take = (last: Buffer): string => {
    const line = pendingLen ? Buffer.concat([...pending, last]) : last;
    pending = [];
    pendingLen = 0;
    return line.toString('utf8').replace(/\r$/, '');
  };
  for await (const chunk of source) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const part = chunk.subarray(start, nl);
      if (pendingLen + part.length > MAX_JSONL_LINE) throw tooLong();
      yield take(part);
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length) {
      if (pendingLen + rest.length > MAX_JSONL_LINE) throw tooLong();
      pending.push(rest);
      pendingLen += rest.length;
    }
  }
  if (pendingLen) yield take(Buffer.alloc(0));
}

// ---------------------------------------------------------------- benchmarks

export interface Benchmark {
  repo: RepoRow;
  commit: string;
  tree: string;
  def: BenchmarkDefinition;
}

/** A dataset's benchmark definition at a revision (default: its head), read from its eval.yaml. */
export async function benchmarkAt(hub: Hub, repo: RepoRow, revision = 'HEAD'): Promise<Benchmark> {
  const rev = await resolveRevision(hub, repo, revision);
  const text = await readSmallFile(hub, repo, rev.tree, 'eval.yaml');
  const id = `${repo.namespace}/${repo.name}`;
  if (text === undefined) throw new HubError('BadRequest', `Dataset ${id} is not a benchmark at ${rev.commit.slice(0, 7)}: it has no eval.yaml`);
  const parsed = parseEvalYaml(text);
  if (!parsed.ok) throw new HubError('BadRequest', `Dataset ${id} has an invalid eval.yaml at ${rev.commit.slice(0, 7)}: ${parsed.error}`);
  return { repo, commit: rev.commit, tree: rev.tree, def: parsed.def };
}

/** The sample ids a benchmark lists, if it names a samples file. */
async function benchmarkSampleIds(hub: Hub, b: Benchmark): Promise<Set<string> | undefined> {
  if (!b.def.samples_path) return undefined;
  const ids = new Set<string>();
  const badLine = (n: number): string => `The benchmark's samples file ${b.def.samples_path} is not JSONL (line ${n})`;
  for await (const { value: v } of jsonLines(hub, b.repo, b.tree, b.def.samples_path, badLine)) {
    const id = (v as Record<string, unknown> | null)?.id;
    if (typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id))) ids.add(String(id));
    if (ids.size > MAX_BENCHMARK_SAMPLES) throw new HubError('BadRequest', `The benchmark lists more than ${MAX_BENCHMARK_SAMPLES} samples`);
  }
  return ids;
}

// ---------------------------------------------------------------- posting results

function sampleFrom(v: unknown, where: string): Sample {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HubError('BadRequest', `${where} must be an object with "id" and "score"`);
  const o = v as Record<string, unknown>;
  const id = typeof o.id === 'number' && Number.isInteger(o.id) ? String(o.id) : o.id;
  if (typeof id !== 'string' || id === '' || id.length > MAX_SAMPLE_ID) throw new HubError('BadRequest', `${where}.id must be a non-empty string of at most ${MAX_SAMPLE_ID} characters`);
  if (typeof o.score !== 'number' || !Number.isFinite(o.score)) throw new HubError('BadRequest', `${where}.score must be a finite number`);
  const s: Sample = { id, score: o.score };
  for (const k of ['costTokens', 'costUsd', 'latencyMs'] as const) {
    const x = o[k];
    if (x === undefined || x === null) continue;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new HubError('BadRequest', `${where}.${k} must be a finite number ≥ 0`);
    s[k] = x;
  }
  return s;
}

function optString(body: Record<string, unknown>, key: string, max: number): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) throw new HubError('BadRequest', `"${key}" must be a non-empty string of at most ${max} characters`);
  return v.trim();
}

function datasetRef(id: string, key: string): RepoRef {
  const parts = id.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new HubError('BadRequest', `"${key}" must be a dataset id "namespace/name"`);
  return { type: 'dataset', namespace: parts[0], name: parts[1] };
}

/**
 * Records a result posted through the API. Anyone signed in who can read the
 * model and the benchmark may post; the model's writers post self-reported
 * results, others reproduced ones (with their name and the time as provenance).
 */
export async function postResult(hub: Hub, actor: Actor, model: RepoRow, body: Record<string, unknown>): Promise<ResultRow> {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated to post evaluation results; send a token');
  if (actor.token?.role === 'read') throw new HubError('Forbidden', 'A read token cannot post evaluation results');
  const benchmarkId = body.benchmark;
  if (typeof benchmarkId !== 'string') throw new HubError('BadRequest', '"benchmark" (a dataset id) is required');
  const benchmarkRevision = optString(body, 'benchmarkRevision', 255);
  const modelRevision = optString(body, 'modelRevision', 255);
  const metric = optString(body, 'metric', 200);
  const notes = optString(body, 'notes', MAX_NOTES);
  const reproducedFrom = optString(body, 'reproducedFrom', 2000);
  const hasInline = body.samples !== undefined;
  const hasFile = body.samplesFile !== undefined;
  if (hasInline === hasFile) throw new HubError('BadRequest', 'Send either "samples" (a list) or "samplesFile" with "samplesRepo"');
  if (hasInline && !Array.isArray(body.samples)) throw new HubError('BadRequest', '"samples" must be a list of {id, score}');

  // Resolve everything before reading samples: a wrong name fails fast.
  const dataset = await getRepo(hub, actor, datasetRef(benchmarkId, 'benchmark'));
  const bench = await benchmarkAt(hub, dataset, benchmarkRevision ?? 'HEAD');
  const modelRev = await resolveRevision(hub, model, modelRevision ?? 'HEAD');

  const samples: Sample[] = [];
  const seen = new Set<string>();
  const add = (s: Sample, where: string): void => {
    if (seen.has(s.id)) throw new HubError('BadRequest', `${where}: sample id "${s.id}" appears twice`);
    if (samples.length >= MAX_SAMPLES) throw new HubError('BadRequest', `Too many samples: at most ${MAX_SAMPLES} per result`);
    seen.add(s.id);
    samples.push(s);
  };
  if (hasInline) {
    const list = body.samples as unknown[];
    if (list.length > MAX_SAMPLES) throw new HubError('BadRequest', `Too many samples: at most ${MAX_SAMPLES} per result`);
    list.forEach((v, i) => add(sampleFrom(v, `samples[${i}]`), `samples[${i}]`));
  } else {
    const path = optString(body, 'samplesFile', 1000);
    const repoId = body.samplesRepo;
    if (!path || typeof repoId !== 'string') throw new HubError('BadRequest', '"samplesFile" (a path) needs "samplesRepo" (the dataset id holding it)');
    const holder = await getRepo(hub, actor, datasetRef(repoId, 'samplesRepo'), 'content');
    const rev = await resolveRevision(hub, holder, optString(body, 'samplesRevision', 255) ?? 'HEAD');
    for await (const { value, lineNo } of jsonLines(hub, holder, rev.tree, path, (n) => `${path} line ${n} is not JSON`)) {
      add(sampleFrom(value, `${path} line ${lineNo}`), `${path} line ${lineNo}`);
    }
  }
  if (samples.length === 0) throw new HubError('BadRequest', 'A result needs at least one sample');
  const known = await benchmarkSampleIds(hub, bench);
  if (known) {
    const unknown = samples.filter((s) => !known.has(s.id));
    if (unknown.length) {
      throw new HubError('BadRequest', `${unknown.length} sample id(s) are not in the benchmark's ${bench.def.samples_path}, e.g. "${unknown[0]!.id}"`);
    }
  }

  const selfReported = can(actor, 'write', accessInfo(model));
  const row: ResultRow = {
    id: newResultId(), model_repo_id: model.id, model_revision: modelRev.commit,
    benchmark: `${dataset.namespace}/${dataset.name}`, benchmark_key: dataset.full_name_lc, benchmark_name: bench.def.name,
    benchmark_revision: bench.commit, task: bench.def.task, metric: metric ?? bench.def.metric,
    value: samples.reduce((a, s) => a + s.score, 0) / samples.length, n: samples.length,
    source: 'api', source_url: null, self_reported: selfReported ? 1 : 0, verified: 0,
    producer_user_id: actor.user.id, producer_name: actor.user.name, notes: notes ?? null, reproduced_from: reproducedFrom ?? null,
    contaminated: 0, unverified: 0, flag_note: null, flagged_by: null, flagged_at: null, created_at: nowIso(),
  };
  await hub.db.transaction().execute(async (trx) => {
    await trx.insertInto('eval_results').values(row).execute();
    await trx.insertInto('eval_samples').values({
      result_id: row.id, count: samples.length, ids: JSON.stringify(samples.map((s) => s.id)),
      scores: packColumn(samples.map((s) => s.score), true)!, cost_tokens: packColumn(samples.map((s) => s.costTokens)),
      cost_usd: packColumn(samples.map((s) => s.costUsd)), latency_ms: packColumn(samples.map((s) => s.latencyMs)),
    }).execute();
  });
  return row;
}

// ---------------------------------------------------------------- reading results

export interface PresentedResult {
  id: string;
  model: string;
  modelRevision: string;
  benchmark: { id: string; name: string | null; onHub: boolean; revision: string | null; task: string | null; higherIsBetter: boolean | null };
  metric: string | null;
  value: number;
  n: number | null;
  source: string;
  sourceUrl: string | null;
  selfReported: boolean;
  reproduced: boolean;
  verified: boolean;
  producer: { name: string; isUser: boolean };
  notes: string | null;
  reproducedFrom: string | null;
  flags: { contaminated: boolean; unverified: boolean; note: string | null; by: string | null; at: string | null };
  createdAt: string;
  hasSamples: boolean;
}

type Resolved = Map<string, { repo: RepoRow; head: BenchmarkRow | undefined }> & { hidden: Set<string> };

/**
 * Datasets on this hub that the result rows' benchmark names resolve to, as
 * far as the actor may see them, with their head definitions. A name that
 * resolves to a dataset the actor cannot read is treated as not on this hub.
 */
async function resolveBenchmarks(hub: Hub, actor: Actor, keys: string[]): Promise<Resolved> {
  const out: Resolved = Object.assign(new Map<string, { repo: RepoRow; head: BenchmarkRow | undefined }>(), { hidden: new Set<string>() });
  const unique = [...new Set(keys)];
  if (unique.length === 0) return out;
  const repos = await hub.db.selectFrom('repos').selectAll().where('type', '=', 'dataset').where('full_name_lc', 'in', unique).execute();
  const readable = repos.filter((r) => can(actor, 'read', accessInfo(r)));
  for (const r of repos) if (!readable.includes(r)) out.hidden.add(r.full_name_lc);
  const heads = readable.length
    ? await hub.db.selectFrom('eval_benchmarks').selectAll().where('repo_id', 'in', readable.map((r) => r.id)).where('is_head', '=', 1).execute()
    : [];
  for (const r of readable) out.set(r.full_name_lc, { repo: r, head: heads.find((h) => h.repo_id === r.id && h.valid === 1) });
  return out;
}

function present(model: { namespace: string; name: string }, r: ResultRow, bench: { repo: RepoRow; head: BenchmarkRow | undefined } | undefined, hasSamples: boolean): PresentedResult {
  return {
    id: r.id,
    model: `${model.namespace}/${model.name}`,
    modelRevision: r.model_revision,
    benchmark: {
      id: bench ? `${bench.repo.namespace}/${bench.repo.name}` : r.benchmark,
      name: r.benchmark_name ?? bench?.head?.name ?? null,
      onHub: bench !== undefined,
      revision: r.benchmark_revision,
      task: r.task,
      higherIsBetter: bench?.head ? bench.head.higher_is_better === 1 : null,
    },
    metric: r.metric ?? bench?.head?.metric ?? null,
    value: r.value,
    n: r.n,
    source: r.source,
    sourceUrl: r.source_url,
    selfReported: r.self_reported === 1,
    reproduced: r.self_reported !== 1 && r.verified !== 1,
    verified: r.verified === 1,
    producer: { name: r.producer_name, isUser: r.producer_user_id !== null },
    notes: r.notes,
    reproducedFrom: r.reproduced_from,
    flags: { contaminated: r.contaminated === 1, unverified: r.unverified === 1, note: r.flag_note, by: r.flagged_by, at: r.flagged_at },
    createdAt: r.created_at,
    hasSamples,
  };
}

/**
 * API results name a benchmark on this hub; one the actor cannot read hides
 * them (its name would tell that it exists). A deleted benchmark does not:
 * the result stays, shown as external.
 */
function visible(r: ResultRow, benches: Resolved): boolean {
  return r.source !== 'api' || !benches.hidden.has(r.benchmark_key);
}

/** A model's results the actor may see, by benchmark then metric, newest first. */
export async function listResults(hub: Hub, actor: Actor, model: RepoRow): Promise<PresentedResult[]> {
  const rows = await hub.db.selectFrom('eval_results').selectAll().where('model_repo_id', '=', model.id).orderBy('benchmark_key').orderBy('metric').orderBy('created_at', 'desc').orderBy('id').execute();
  const benches = await resolveBenchmarks(hub, actor, rows.map((r) => r.benchmark_key));
  return rows.filter((r) => visible(r, benches)).map((r) => present(model, r, benches.get(r.benchmark_key), r.source === 'api'));
}

/** One result of a model, or NotFound (also when its benchmark is hidden from the actor). */
export async function getResult(hub: Hub, actor: Actor, model: RepoRow, id: string): Promise<{ row: ResultRow; presented: PresentedResult }> {
  const row = await hub.db.selectFrom('eval_results').selectAll().where('id', '=', id).where('model_repo_id', '=', model.id).executeTakeFirst();
  const notFound = new HubError('NotFound', `No evaluation result ${id} on ${model.namespace}/${model.name}`);
  if (!row) throw notFound;
  const benches = await resolveBenchmarks(hub, actor, [row.benchmark_key]);
  if (!visible(row, benches)) throw notFound;
  const bench = benches.get(row.benchmark_key);
  return { row, presented: present(model, row, bench, row.source === 'api') };
}

/** The per-sample scores of a result, from `offset`, at most `limit` (all when undefined). */
export async function resultSamples(hub: Hub, resultId: string, offset = 0, limit?: number): Promise<{ total: number; items: Sample[] }> {
  const s = await hub.db.selectFrom('eval_samples').selectAll().where('result_id', '=', resultId).executeTakeFirst();
  if (!s) return { total: 0, items: [] };
  const ids = JSON.parse(s.ids) as string[];
  const scores = unpackColumn(s.scores, s.count);
  const tokens = unpackColumn(s.cost_tokens, s.count);
  const usd = unpackColumn(s.cost_usd, s.count);
  const latency = unpackColumn(s.latency_ms, s.count);
  const end = limit === undefined ? s.count : Math.min(s.count, offset + limit);
  const items: Sample[] = [];
  for (let i = offset; i < end; i++) {
    const item: Sample = { id: ids[i]!, score: scores[i]! };
    if (tokens[i] !== undefined) item.costTokens = tokens[i];
    if (usd[i] !== undefined) item.costUsd = usd[i];
    if (latency[i] !== undefined) item.latencyMs = latency[i];
    items.push(item);
  }
  return { total: s.count, items };
}

/** Deletes an API result: its producer or an admin of the model. Card and file results go with their source. */
export async function deleteResult(hub: Hub, actor: Actor, model: RepoRow, id: string): Promise<void> {
  const { row } = await getResult(hub, actor, model, id);
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated to delete an evaluation result');
  const isProducer = row.producer_user_id === actor.user.id && actor.token?.role !== 'read';
  if (!isProducer && !can(actor, 'admin', accessInfo(model))) throw new HubError('Forbidden', 'Only the producer of a result or an admin of the model may delete it');
  if (row.source !== 'api') throw new HubError('BadRequest', `This result comes from the model repo (${row.source}); change the repo to remove it`);
  await hub.db.deleteFrom('eval_results').where('id', '=', id).execute();
}

/** Sets the flags of a result (the model's writers): contaminated, unverified, with a note. */
export async function flagResult(hub: Hub, actor: Actor, model: RepoRow, id: string, body: Record<string, unknown>): Promise<ResultRow> {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated to flag an evaluation result');
  const { row } = await getResult(hub, actor, model, id);
  if (!can(actor, 'write', accessInfo(model))) throw new HubError('Forbidden', `Only writers of ${model.namespace}/${model.name} may flag its results`);
  const set: Partial<ResultRow> = {};
  for (const k of ['contaminated', 'unverified'] as const) {
    const v = body[k];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new HubError('BadRequest', `"${k}" must be true or false`);
    set[k] = v ? 1 : 0;
  }
  const note = body.note;
  if (typeof note !== 'string' || note.length > 2000) throw new HubError('BadRequest', '"note" (a string of at most 2000 characters) is required');
  if (set.contaminated === undefined && set.unverified === undefined) throw new HubError('BadRequest', 'Send "contaminated" and/or "unverified"');
  const updated = { ...set, flag_note: note.trim() || null, flagged_by: actor.user.name, flagged_at: nowIso() };
  await hub.db.updateTable('eval_results').set(updated).where('id', '=', id).execute();
  return { ...row, ...updated };
}

/** A dataset's benchmark definition at its head (or why it is invalid) and the models with results on it the actor may see. */
export async function benchmarkInfo(hub: Hub, actor: Actor, dataset: RepoRow): Promise<Record<string, unknown>> {
  const head = await hub.db.selectFrom('eval_benchmarks').selectAll().where('repo_id', '=', dataset.id).where('is_head', '=', 1).executeTakeFirst();
  const id = `${dataset.namespace}/${dataset.name}`;
  if (!head) throw new HubError('NotFound', `Dataset ${id} is not a benchmark: it has no eval.yaml at its head`);
  const rows = await hub.db
    .selectFrom('eval_results')
    .innerJoin('repos', 'repos.id', 'eval_results.model_repo_id')
    .select(['repos.namespace', 'repos.name', 'repos.private', 'repos.type', 'eval_results.id as rid', 'eval_results.metric', 'eval_results.value', 'eval_results.n', 'eval_results.source', 'eval_results.self_reported', 'eval_results.model_revision', 'eval_results.contaminated', 'eval_results.unverified'])
    .where('eval_results.benchmark_key', '=', dataset.full_name_lc)
    .orderBy('repos.full_name_lc')
    .orderBy('eval_results.created_at')
    .execute();
  const models = new Map<string, { id: string; results: unknown[] }>();
  for (const r of rows) {
    // A private model's results are never listed to those who cannot read it.
    if (!can(actor, 'read', { type: r.type, namespace: r.namespace, name: r.name, private: r.private === 1 })) continue;
    const mid = `${r.namespace}/${r.name}`;
    const m = models.get(mid) ?? { id: mid, results: [] };
    m.results.push({ id: r.rid, metric: r.metric ?? head.metric, value: r.value, n: r.n, source: r.source, selfReported: r.self_reported === 1, modelRevision: r.model_revision, flags: { contaminated: r.contaminated === 1, unverified: r.unverified === 1 } });
    models.set(mid, m);
  }
  return {
    id,
    revision: head.revision,
    valid: head.valid === 1,
    error: head.error,
    ...(head.valid === 1
      ? { name: head.name, description: head.description, task: head.task, metric: head.metric, split: head.split, higherIsBetter: head.higher_is_better === 1, samples: head.samples_path }
      : {}),
    models: [...models.values()],
  };
}
