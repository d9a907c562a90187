import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import { type Selectable, sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { can, canCreateIn, roleIn } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { canonicalNamespace } from './orgs.js';
import { nowIso } from '../core/time.js';
import type { LeaderboardsTable } from '../db/schema-leaderboards.js';
import { computeLeaderboard, leaderboardCacheKey, leaderboardPareto, type BenchmarkSpec, type LeaderboardResult, type ModelSpec, type ObjectiveSpec, type ScoreEntry } from '../evals/stats/leaderboard.js';
import type { Hub } from './hub.js';
import { fullTree } from './lineage.js';

/**
 * Leaderboards (docs/leaderboards.md): definitions over benchmarks (datasets
 * with an eval.yaml) and models, owned by a user or an org like collections
 * (public or private; the namespace's writers edit them), and the computed
 * table with intervals, rank intervals and a Pareto view
 * (src/evals/stats/leaderboard.ts does the numbers).
 *
 * Visibility: every computation is for one viewer. Benchmarks and models the
 * viewer cannot read are left out before anything is computed, so they are
 * neither shown nor counted (ranks are among what the viewer sees).
 *
 * Caching: the computed numbers are kept in a bounded in-memory LRU keyed by
 * `leaderboardCacheKey` over the benchmarks (version = head commit of the
 * dataset) and models (version = fingerprint of the result rows chosen for
 * it: ids, values, flags). That metadata is read from the database on every
 * request (one query, no samples), so a write by any hub process changes the
 * key and the next read recomputes; only the sample decoding and the
 * bootstrap are skipped on a hit.
 */

export type LeaderboardRow = Selectable<LeaderboardsTable>;

export const MAX_TITLE = 100;
export const MAX_DESCRIPTION = 2000;
export const MAX_BENCHMARKS = 50;
export const MAX_MODEL_IDS = 1000;
const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const INCLUDE = ['both', 'self-reported', 'reproduced'] as const;
export type Include = (typeof INCLUDE)[number];
/** Bootstrap resamples, and the number of random groups large benchmarks are resampled in (keeps 10,000-sample benchmarks fast; stated in every label). */
export const BOOTSTRAP_B = 1000;
export const BOOTSTRAP_GROUPS = 200;
const CACHE_ENTRIES = 64;
const CHUNK = 500;

export interface LeaderboardDefinition {
  benchmarks: { id: string; weight: number }[];
  models: { ids: string[]; allWithResults: boolean; family: string | null };
  /** offered Pareto objectives: `aggregate`, `cost`, `latency` or a benchmark id */
  objectives: string[];
  results: Include;
}

const bad = (msg: string): HubError => new HubError('BadRequest', msg);

export function canViewLeaderboard(actor: Actor, row: Pick<LeaderboardRow, 'private' | 'namespace'>): boolean {
  return row.private === 0 || roleIn(actor, row.namespace) !== undefined;
}

export function canEditLeaderboard(actor: Actor, row: Pick<LeaderboardRow, 'namespace'>): boolean {
  return canCreateIn(actor, row.namespace);
}

export function definitionOf(row: LeaderboardRow): LeaderboardDefinition {
  return JSON.parse(row.definition) as LeaderboardDefinition;
}

function text(value: unknown, what: string, max: number, required = false): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw bad(`"${what}" is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw bad(`"${what}" must be a string`);
  const v = value.trim();
  if (required && !v) throw bad(`"${what}" must not be empty`);
  if (v.length > max) throw bad(`"${what}" is longer than ${max} characters`);
  return v;
}

/** Repos by lower-cased full name, in chunks (a definition may list a thousand models). */
async function reposByName(hub: Hub, type: 'model' | 'dataset', names: string[]) {
  const out = [];
  const unique = [...new Set(names)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    out.push(...(await hub.db.selectFrom('repos').selectAll().where('type', '=', type).where('full_name_lc', 'in', unique.slice(i, i + CHUNK)).execute()));
  }
  return out;
}

const readable = (actor: Actor, r: { type: string; namespace: string; name: string; private: number }): boolean =>
  can(actor, 'read', { type: r.type as 'model', namespace: r.namespace, name: r.name, private: r.private === 1 });

/**
 * Checks a definition sent by `actor` (who must be able to read every
 * benchmark and model it names: a private one they cannot read is "unknown",
 * exactly like a missing one). Merges onto `base` for PATCH.
 */
async function parseDefinition(hub: Hub, actor: Actor, body: Record<string, unknown>, base?: LeaderboardDefinition): Promise<LeaderboardDefinition> {
  const def: LeaderboardDefinition = base ? structuredClone(base) : { benchmarks: [], models: { ids: [], allWithResults: true, family: null }, objectives: [], results: 'both' };
  if (body.benchmarks !== undefined || !base) {
    if (!Array.isArray(body.benchmarks) || body.benchmarks.length === 0) throw bad('"benchmarks" must be a non-empty list of dataset ids (or {id, weight})');
    if (body.benchmarks.length > MAX_BENCHMARKS) throw bad(`at most ${MAX_BENCHMARKS} benchmarks`);
    const list: { id: string; weight: number }[] = [];
    for (const b of body.benchmarks as unknown[]) {
      const o = typeof b === 'string' ? { id: b } : (b as Record<string, unknown> | null);
      if (!o || typeof o !== 'object' || typeof o.id !== 'string') throw bad('each benchmark must be a dataset id or {id, weight}');
      const weight = o.weight === undefined ? 1 : o.weight;
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) throw bad(`benchmark ${o.id}: weight must be a number > 0`);
      list.push({ id: o.id, weight });
    }
    const repos = await reposByName(hub, 'dataset', list.map((b) => b.id.toLowerCase()));
    const heads = repos.length ? await hub.db.selectFrom('eval_benchmarks').select(['repo_id', 'valid']).where('repo_id', 'in', repos.map((r) => r.id)).where('is_head', '=', 1).execute() : [];
    const seen = new Set<string>();
    def.benchmarks = list.map((b) => {
      const r = repos.find((x) => x.full_name_lc === b.id.toLowerCase());
      if (!r || !readable(actor, r)) throw bad(`unknown benchmark ${JSON.stringify(b.id)}: no such dataset`);
      if (!heads.some((h) => h.repo_id === r.id && h.valid === 1)) throw bad(`dataset ${b.id} is not a benchmark: it has no valid eval.yaml`);
      const id = `${r.namespace}/${r.name}`;
      if (seen.has(id)) throw bad(`benchmark ${id} is listed twice`);
      seen.add(id);
      return { id, weight: b.weight };
    });
  }
  if (body.models !== undefined) {
    const m = body.models as Record<string, unknown> | null;
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw bad('"models" must be {ids?, allWithResults?, family?}');
    if (m.ids !== undefined) {
      if (!Array.isArray(m.ids) || m.ids.some((x) => typeof x !== 'string')) throw bad('"models.ids" must be a list of model ids');
      if (m.ids.length > MAX_MODEL_IDS) throw bad(`at most ${MAX_MODEL_IDS} model ids`);
      const rows = await reposByName(hub, 'model', (m.ids as string[]).map((x) => x.toLowerCase()));
      def.models.ids = (m.ids as string[]).map((x) => {
        const r = rows.find((y) => y.full_name_lc === x.toLowerCase());
        if (!r || !readable(actor, r)) throw bad(`unknown model ${JSON.stringify(x)}`);
        return `${r.namespace}/${r.name}`;
      });
      def.models.ids = [...new Set(def.models.ids)];
    }
    if (m.allWithResults !== undefined) {
      if (typeof m.allWithResults !== 'boolean') throw bad('"models.allWithResults" must be true or false');
      def.models.allWithResults = m.allWithResults;
    }
    if (m.family !== undefined) {
      if (m.family === null || m.family === '') def.models.family = null;
      else {
        if (typeof m.family !== 'string') throw bad('"models.family" must be a model id');
        const [r] = await reposByName(hub, 'model', [m.family.toLowerCase()]);
        if (!r || !readable(actor, r)) throw bad(`unknown model ${JSON.stringify(m.family)}`);
        def.models.family = `${r.namespace}/${r.name}`;
      }
    }
  }
  if (!def.models.allWithResults && def.models.ids.length === 0 && !def.models.family) throw bad('select models: "models.ids", "models.allWithResults" or "models.family"');
  if (body.objectives !== undefined) {
    if (!Array.isArray(body.objectives) || body.objectives.some((x) => typeof x !== 'string')) throw bad('"objectives" must be a list of names');
    def.objectives = [...new Set(body.objectives as string[])];
  } else if (!base) def.objectives = ['aggregate', 'cost', 'latency'];
  const benchIds = new Map(def.benchmarks.map((b) => [b.id.toLowerCase(), b.id]));
  def.objectives = def.objectives.map((o) => {
    if (o === 'aggregate' || o === 'cost' || o === 'latency') return o;
    const b = benchIds.get(o.toLowerCase());
    if (!b) throw bad(`unknown objective ${JSON.stringify(o)}: use aggregate, cost, latency or one of the leaderboard's benchmarks`);
    return b;
  });
  if (body.results !== undefined) {
    if (!INCLUDE.includes(body.results as Include)) throw bad(`"results" must be one of ${INCLUDE.join(', ')}`);
    def.results = body.results as Include;
  }
  return def;
}

function notFound(ns: string, slug: string): HubError {
  return new HubError('NotFound', `Leaderboard ${ns}/${slug} not found`);
}

/** A leaderboard as the actor may see it (a private one they cannot see is missing). */
export async function findLeaderboard(hub: Hub, actor: Actor, ns: string, slug: string): Promise<LeaderboardRow> {
  const row = await hub.db.selectFrom('leaderboards').selectAll().where('name_lc', '=', `${ns.toLowerCase()}/${slug.toLowerCase()}`).executeTakeFirst();
  if (!row || !canViewLeaderboard(actor, row)) throw notFound(ns, slug);
  return row;
}

async function findEditable(hub: Hub, actor: Actor, ns: string, slug: string): Promise<LeaderboardRow> {
  const row = await findLeaderboard(hub, actor, ns, slug);
  if (actor.kind === 'anonymous') throw new HubError('Unauthorized', 'You must be signed in to change a leaderboard');
  if (!canEditLeaderboard(actor, row)) throw new HubError('Forbidden', `You cannot change the leaderboards of ${row.namespace}`);
  return row;
}


export async function createLeaderboard(hub: Hub, actor: Actor, body: Record<string, unknown>): Promise<LeaderboardRow> {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be signed in to create a leaderboard');
  const nsInput = body.namespace ?? actor.user.name;
  if (typeof nsInput !== 'string' || !nsInput) throw bad('"namespace" must be a user or organization name');
  const namespace = await canonicalNamespace(hub.db, nsInput);
  if (!canCreateIn(actor, namespace)) throw new HubError('Forbidden', `You cannot create leaderboards in ${namespace}`);
  const slug = body.slug;
  if (typeof slug !== 'string' || !SLUG_RE.test(slug)) throw bad('"slug" must be 1–64 lower-case letters, digits and inner hyphens');
  const title = text(body.title, 'title', MAX_TITLE, true)!;
  const description = text(body.description, 'description', MAX_DESCRIPTION) || null;
  if (body.private !== undefined && typeof body.private !== 'boolean') throw bad('"private" must be true or false');
  const def = await parseDefinition(hub, actor, body);
  const nameLc = `${namespace.toLowerCase()}/${slug}`;
  if (await hub.db.selectFrom('leaderboards').select('id').where('name_lc', '=', nameLc).executeTakeFirst()) {
    throw new HubError('Conflict', `A leaderboard ${namespace}/${slug} already exists`);
  }
  const now = nowIso();
  const row: LeaderboardRow = {
    id: randomBytes(12).toString('hex'), namespace, name_lc: nameLc, slug, title, description, private: body.private ? 1 : 0,
    definition: JSON.stringify(def), created_by: actor.user.name, created_at: now, updated_at: now,
  };
  await hub.db.insertInto('leaderboards').values(row).execute();
  return row;
}

export async function updateLeaderboard(hub: Hub, actor: Actor, ns: string, slug: string, body: Record<string, unknown>): Promise<LeaderboardRow> {
  const row = await findEditable(hub, actor, ns, slug);
  const set: Partial<LeaderboardRow> = {};
  if (body.title !== undefined) set.title = text(body.title, 'title', MAX_TITLE, true)!;
  if (body.description !== undefined) set.description = text(body.description, 'description', MAX_DESCRIPTION) || null;
  if (body.private !== undefined) {
    if (typeof body.private !== 'boolean') throw bad('"private" must be true or false');
    set.private = body.private ? 1 : 0;
  }
  if (['benchmarks', 'models', 'objectives', 'results'].some((k) => body[k] !== undefined)) {
    set.definition = JSON.stringify(await parseDefinition(hub, actor, body, definitionOf(row)));
  }
  set.updated_at = nowIso();
  await hub.db.updateTable('leaderboards').set(set).where('id', '=', row.id).execute();
  return { ...row, ...set };
}

export async function deleteLeaderboard(hub: Hub, actor: Actor, ns: string, slug: string): Promise<void> {
  const row = await findEditable(hub, actor, ns, slug);
  await hub.db.deleteFrom('leaderboards').where('id', '=', row.id).execute();
}

/** Leaderboards the actor may see (optionally of some owners), newest first. */
export async function listLeaderboards(hub: Hub, actor: Actor, owners: string[]): Promise<LeaderboardRow[]> {
  let q = hub.db.selectFrom('leaderboards').selectAll().orderBy('updated_at', 'desc').orderBy('id');
  if (owners.length) q = q.where(sql`lower(namespace)`, 'in', owners.map((o) => o.toLowerCase()));
  const rows = await q.limit(1000).execute();
  return rows.filter((r) => canViewLeaderboard(actor, r));
}

// ---------------------------------------------------------------- computing

export interface CellView {
  mean: number | null;
  lo: number | null;
  hi: number | null;
  n: number | null;
  method: string;
  label: string;
  rank: number | null;
  rankLo: number | null;
  rankHi: number | null;
  resultId: string;
  flags: { contaminated: boolean; unverified: boolean; selfReported: boolean };
}

export interface ModelView {
  id: string;
  cost: number | null;
  latency: number | null;
  aggregate: { score: number | null; lo: number | null; hi: number | null; rank: number | null; rankLo: number | null; rankHi: number | null; missing: string[] };
  cells: Record<string, CellView | null>;
  /** true on the Pareto front, false dominated, null left out (a missing objective) */
  pareto: boolean | null;
}

export interface LeaderboardTable {
  benchmarks: { id: string; name: string | null; metric: string | null; higherIsBetter: boolean; weight: number; rankMethod: string; rankLabel: string }[];
  models: ModelView[];
  aggregateLabel: string;
  level: number;
  B: number;
  seed: number;
  objectives: string[];
  pareto: { objectives: { name: string; direction: 'max' | 'min' }[]; front: string[]; dominated: string[]; excluded: { id: string; missing: string[] }[] } | null;
  family: string | null;
  cache: 'hit' | 'miss';
}

interface Cached {
  input: { benchmarks: BenchmarkSpec[]; models: ModelSpec[] };
  result: LeaderboardResult;
}

/** Bounded LRU of computed leaderboards per hub (a Map keeps insertion order: re-inserting on a hit makes it the newest). */
const caches = new WeakMap<Hub, Map<string, Cached>>();
export const leaderboardCacheStats = { hits: 0, misses: 0 };

function cacheOf(hub: Hub): Map<string, Cached> {
  let c = caches.get(hub);
  if (!c) caches.set(hub, (c = new Map()));
  return c;
}

function cacheGet(hub: Hub, key: string): Cached | undefined {
  const cache = cacheOf(hub);
  const v = cache.get(key);
  if (v) {
    cache.delete(key);
    cache.set(key, v);
  }
  return v;
}

function cachePut(hub: Hub, key: string, v: Cached): void {
  const cache = cacheOf(hub);
  cache.set(key, v);
  while (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
}

/** `model` and every descendant of it the actor may read, by lower-cased id. */
async function familyOf(hub: Hub, actor: Actor, modelId: string): Promise<Set<string>> {
  const [row] = await reposByName(hub, 'model', [modelId.toLowerCase()]);
  if (!row || !readable(actor, row)) throw bad(`unknown model ${JSON.stringify(modelId)} for the family view`);
  const tree = await fullTree(hub, actor, row);
  const start = `${row.namespace}/${row.name}`;
  const out = new Set([start.toLowerCase()]);
  const queue = [start];
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of tree.edges) {
      if (e.base === id && !out.has(e.child.toLowerCase())) {
        out.add(e.child.toLowerCase());
        queue.push(e.child);
      }
    }
  }
  return out;
}

export interface ComputeOptions {
  family?: string;
  pareto?: string[];
  seed?: number;
}

/** The computed table of a leaderboard for one viewer. */
export async function leaderboardTable(hub: Hub, actor: Actor, row: LeaderboardRow, opts: ComputeOptions = {}): Promise<LeaderboardTable> {
  const def = definitionOf(row);
  const seed = opts.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw bad('"seed" must be an integer between 0 and 4294967295');

  // Benchmarks the viewer can read, with their head definitions.
  const dsRows = (await reposByName(hub, 'dataset', def.benchmarks.map((b) => b.id.toLowerCase()))).filter((r) => readable(actor, r));
  const heads = dsRows.length ? await hub.db.selectFrom('eval_benchmarks').selectAll().where('repo_id', 'in', dsRows.map((r) => r.id)).where('is_head', '=', 1).where('valid', '=', 1).execute() : [];
  const benches = def.benchmarks.flatMap((b) => {
    const r = dsRows.find((x) => x.full_name_lc === b.id.toLowerCase());
    const h = r && heads.find((x) => x.repo_id === r.id);
    return r && h ? [{ id: `${r.namespace}/${r.name}`, key: r.full_name_lc, weight: b.weight, head: h }] : [];
  });
  const offered = def.objectives.filter((o) => o === 'aggregate' || o === 'cost' || o === 'latency' || benches.some((b) => b.id === o));
  let chosen = opts.pareto ?? offered.slice(0, 2);
  if (opts.pareto) {
    if (opts.pareto.length < 2 || opts.pareto.length > 3) throw bad('"pareto" takes 2 or 3 objectives');
    if (new Set(opts.pareto).size !== opts.pareto.length) throw bad('"pareto" objectives must differ');
    for (const o of opts.pareto) if (!offered.includes(o)) throw bad(`objective ${JSON.stringify(o)} is not offered by this leaderboard (offered: ${offered.join(', ')})`);
  }
  if (chosen.length < 2) chosen = [];

  // Result metadata (no samples) of readable models on those benchmarks.
  let results = benches.length
    ? await hub.db
        .selectFrom('eval_results')
        .innerJoin('repos', 'repos.id', 'eval_results.model_repo_id')
        .select(['eval_results.id', 'eval_results.benchmark_key', 'eval_results.value', 'eval_results.n', 'eval_results.source', 'eval_results.self_reported', 'eval_results.contaminated', 'eval_results.unverified', 'eval_results.created_at', 'repos.namespace', 'repos.name', 'repos.private', 'repos.type', 'repos.full_name_lc'])
        .where('repos.type', '=', 'model')
        .where('eval_results.benchmark_key', 'in', benches.map((b) => b.key))
        .execute()
    : [];
  results = results.filter((r) => readable(actor, r));
  if (def.results === 'self-reported') results = results.filter((r) => r.self_reported === 1);
  if (def.results === 'reproduced') results = results.filter((r) => r.self_reported !== 1);

  // The model selection.
  const names = new Map<string, string>(); // lc → display id
  if (def.models.allWithResults) for (const r of results) names.set(r.full_name_lc, `${r.namespace}/${r.name}`);
  if (def.models.ids.length) {
    for (const r of await reposByName(hub, 'model', def.models.ids.map((x) => x.toLowerCase()))) if (readable(actor, r)) names.set(r.full_name_lc, `${r.namespace}/${r.name}`);
  }
  if (def.models.family) {
    const [fr] = await reposByName(hub, 'model', [def.models.family.toLowerCase()]);
    if (fr && readable(actor, fr)) {
      const fam = await familyOf(hub, actor, def.models.family);
      for (const r of await reposByName(hub, 'model', [...fam])) if (readable(actor, r)) names.set(r.full_name_lc, `${r.namespace}/${r.name}`);
    }
  }
  let family: string | null = null;
  if (opts.family) {
    const fam = await familyOf(hub, actor, opts.family);
    for (const k of [...names.keys()]) if (!fam.has(k)) names.delete(k);
    const [fr] = await reposByName(hub, 'model', [opts.family.toLowerCase()]);
    family = `${fr!.namespace}/${fr!.name}`;
  }

  // One result per (model, benchmark): per-sample results first (they give intervals), then the newest.
  const chosenResult = new Map<string, (typeof results)[number]>();
  const better = (a: (typeof results)[number], b: (typeof results)[number]): boolean => {
    const sa = a.source === 'api' ? 1 : 0;
    const sb = b.source === 'api' ? 1 : 0;
    return sa !== sb ? sa > sb : a.created_at !== b.created_at ? a.created_at > b.created_at : a.id > b.id;
  };
  for (const r of results) {
    if (!names.has(r.full_name_lc)) continue;
    const k = `${r.full_name_lc}\n${r.benchmark_key}`;
    const cur = chosenResult.get(k);
    if (!cur || better(r, cur)) chosenResult.set(k, r);
  }
  const modelIds = [...names.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const fingerprint = (lc: string): string => {
    const h = createHash('sha256');
    for (const b of benches) {
      const r = chosenResult.get(`${lc}\n${b.key}`);
      if (r) h.update(`${b.key}\0${r.id}\0${r.value}\0${r.n}\0${r.contaminated}\0${r.unverified}\0${r.self_reported}\n`);
    }
    return h.digest('hex');
  };
  const benchSpecs: BenchmarkSpec[] = benches.map((b) => ({ id: b.id, higherIsBetter: b.head.higher_is_better === 1, version: b.head.revision, weight: b.weight }));
  const baseModels = modelIds.map(([lc, id]) => ({ id, version: fingerprint(lc) }));
  const statOpts = { B: BOOTSTRAP_B, seed, groups: BOOTSTRAP_GROUPS };
  // Cost and latency come from the samples: they are part of what the version covers (result ids), so the key may leave them out.
  const key = leaderboardCacheKey({ benchmarks: benchSpecs, models: baseModels }, statOpts);
  let cached = cacheGet(hub, key);
  let hit: 'hit' | 'miss' = 'hit';
  if (cached) leaderboardCacheStats.hits++;
  else {
    hit = 'miss';
    leaderboardCacheStats.misses++;
    cached = await compute(hub, benches, benchSpecs, baseModels, modelIds, chosenResult, statOpts);
    cachePut(hub, key, cached);
  }
  const { input, result } = cached;

  const objectiveSpecs: ObjectiveSpec[] = chosen.map((o) => ({ name: o, source: o === 'aggregate' || o === 'cost' || o === 'latency' ? o : { benchmark: o } }));
  const pareto = objectiveSpecs.length >= 2 ? leaderboardPareto(input, result, objectiveSpecs) : null;

  const models: ModelView[] = input.models.map((m, mi) => {
    const lc = m.id.toLowerCase();
    const agg = result.aggregate.rows[mi]!;
    const cells: Record<string, CellView | null> = {};
    result.benchmarks.forEach((br, k) => {
      const c = br.cells[mi]!;
      const r = chosenResult.get(`${lc}\n${benches[k]!.key}`);
      cells[br.id] = r
        ? { mean: c.mean, lo: c.lo, hi: c.hi, n: c.n, method: c.method, label: c.label, rank: c.rank, rankLo: c.rankLo, rankHi: c.rankHi, resultId: r.id, flags: { contaminated: r.contaminated === 1, unverified: r.unverified === 1, selfReported: r.self_reported === 1 } }
        : null;
    });
    const flag = pareto?.flags.get(m.id);
    return { id: m.id, cost: m.cost ?? null, latency: m.latency ?? null, aggregate: { score: agg.score, lo: agg.lo, hi: agg.hi, rank: agg.rank, rankLo: agg.rankLo, rankHi: agg.rankHi, missing: agg.missing }, cells, pareto: flag === undefined ? null : flag };
  });
  // Best aggregate first; models without one (a missing benchmark) after, by name.
  models.sort((a, b) => (a.aggregate.rank ?? Infinity) - (b.aggregate.rank ?? Infinity) || (a.id < b.id ? -1 : 1));
  return {
    benchmarks: result.benchmarks.map((br, k) => ({ id: br.id, name: benches[k]!.head.name, metric: benches[k]!.head.metric, higherIsBetter: br.higherIsBetter, weight: benches[k]!.weight, rankMethod: br.rankMethod, rankLabel: br.rankLabel })),
    models,
    aggregateLabel: result.aggregate.label,
    level: result.level,
    B: result.B,
    seed: result.seed,
    objectives: offered,
    pareto: pareto ? { objectives: pareto.objectives, front: pareto.front, dominated: pareto.dominated, excluded: pareto.excluded } : null,
    family,
    cache: hit,
  };
}

/** Reads and aligns the per-sample scores of the chosen results and runs the statistics. */
async function compute(
  hub: Hub,
  benches: { id: string; key: string }[],
  benchSpecs: BenchmarkSpec[],
  baseModels: { id: string; version: string }[],
  modelIds: [string, string][],
  chosenResult: Map<string, { id: string; value: number; source: string }>,
  statOpts: { B: number; seed: number; groups: number },
): Promise<Cached> {
  const apiIds = [...chosenResult.values()].filter((r) => r.source === 'api').map((r) => r.id);
  const packed = new Map<string, { count: number; ids: string; scores: string; cost_usd: string | null; latency_ms: string | null }>();
  for (let i = 0; i < apiIds.length; i += CHUNK) {
    for (const s of await hub.db.selectFrom('eval_samples').select(['result_id', 'count', 'ids', 'scores', 'cost_usd', 'latency_ms']).where('result_id', 'in', apiIds.slice(i, i + CHUNK)).execute()) packed.set(s.result_id, s);
  }
  const decode = (b64: string, count: number): Float64Array => {
    const buf = Buffer.from(b64, 'base64');
    if (os.endianness() === 'LE') return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + count * 8)); // a copy, 8-byte aligned
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = buf.readDoubleLE(i * 8);
    return out;
  };
  const costSum = new Map<string, { cost: number; costN: number; lat: number; latN: number }>();
  const scores: Record<string, Record<string, ScoreEntry>> = {};
  for (const b of benches) {
    // Align every model's samples on one list of sample ids (the union, in first-seen order; NaN where a model has none).
    const index = new Map<string, number>();
    const perModel: { id: string; ids: string[]; vals: Float64Array }[] = [];
    const entries: Record<string, ScoreEntry> = {};
    let lastIdsText = '';
    let lastIds: string[] = [];
    for (const [lc, id] of modelIds) {
      const r = chosenResult.get(`${lc}\n${b.key}`);
      if (!r) continue;
      const s = r.source === 'api' ? packed.get(r.id) : undefined;
      if (!s) {
        entries[id] = { mean: r.value };
        continue;
      }
      // Results on one benchmark mostly list the same ids in the same order: parse that JSON once.
      if (s.ids !== lastIdsText) {
        lastIdsText = s.ids;
        lastIds = JSON.parse(s.ids) as string[];
      }
      for (const sid of lastIds) if (!index.has(sid)) index.set(sid, index.size);
      perModel.push({ id, ids: lastIds, vals: decode(s.scores, s.count) });
      const acc = costSum.get(id) ?? { cost: 0, costN: 0, lat: 0, latN: 0 };
      if (s.cost_usd) for (const v of decode(s.cost_usd, s.count)) if (!Number.isNaN(v)) { acc.cost += v; acc.costN++; }
      if (s.latency_ms) for (const v of decode(s.latency_ms, s.count)) if (!Number.isNaN(v)) { acc.lat += v; acc.latN++; }
      costSum.set(id, acc);
    }
    const first = perModel[0]?.ids;
    for (const p of perModel) {
      // The common case: every result lists the benchmark's ids in one order (the same parsed array), which is the index's order.
      if (p.ids === first && index.size === p.vals.length) {
        entries[p.id] = { samples: p.vals };
        continue;
      }
      const arr = new Float64Array(index.size).fill(Number.NaN);
      p.ids.forEach((sid, i) => (arr[index.get(sid)!] = p.vals[i]!));
      entries[p.id] = { samples: arr };
    }
    scores[b.id] = entries;
  }
  const models: ModelSpec[] = baseModels.map((m) => {
    const c = costSum.get(m.id);
    return { ...m, cost: c && c.costN ? c.cost / c.costN : null, latency: c && c.latN ? c.lat / c.latN : null };
  });
  const input = { benchmarks: benchSpecs, models };
  const result = computeLeaderboard({ ...input, scores }, statOpts);
  return { input, result };
}

/** The definition as `actor` may see it: benchmarks, models and objectives naming repos they cannot read are left out. */
export async function visibleDefinition(hub: Hub, actor: Actor, row: LeaderboardRow): Promise<LeaderboardDefinition> {
  const def = definitionOf(row);
  const ds = new Set((await reposByName(hub, 'dataset', def.benchmarks.map((b) => b.id.toLowerCase()))).filter((r) => readable(actor, r)).map((r) => r.full_name_lc));
  const ms = new Set((await reposByName(hub, 'model', [...def.models.ids, ...(def.models.family ? [def.models.family] : [])].map((x) => x.toLowerCase()))).filter((r) => readable(actor, r)).map((r) => r.full_name_lc));
  const benchmarks = def.benchmarks.filter((b) => ds.has(b.id.toLowerCase()));
  return {
    benchmarks,
    models: { ids: def.models.ids.filter((x) => ms.has(x.toLowerCase())), allWithResults: def.models.allWithResults, family: def.models.family && ms.has(def.models.family.toLowerCase()) ? def.models.family : null },
    objectives: def.objectives.filter((o) => o === 'aggregate' || o === 'cost' || o === 'latency' || benchmarks.some((b) => b.id === o)),
    results: def.results,
  };
}
