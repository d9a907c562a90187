/**
 * The leaderboard computation a page calls: per (model, benchmark) mean,
 * interval and the method's name; per-benchmark rank intervals; an aggregate
 * with its own interval and rank interval; and Pareto flags over 2–3 chosen
 * objectives. Pure and deterministic for a given seed; see
 * docs/evaluation-statistics.md for what every number means.
 *
 * Bootstrap plan, per benchmark: one paired bootstrap (ranks.ts,
 * `pairedBootstrapReplicates`) over the models that have per-sample arrays;
 * a model with only a point and an interval gets parametric replicates,
 * point + sd·N(0, 1) with sd = (hi − lo) / (2·z) (sd 0 without an interval).
 * Each benchmark's stream is seeded with seed ⊕ FNV-1a(benchmark id), so
 * adding a benchmark does not change the others' numbers.
 *
 * Aggregate: each benchmark's point means are mapped to [0, 1] across the
 * models that have them (best = 1, worst = 0; all equal → 0.5), and a
 * model's aggregate is the weighted mean of its normalised scores,
 * Σ w_k·s_k / Σ w_k (weights default to 1: the plain mean). Only models
 * with a score on every benchmark get one (skipping a hard benchmark must
 * not help). Replicate b of the aggregate applies the same fixed maps and
 * the same weights to replicate b of every benchmark, which gives its
 * interval and rank interval: the interval is that of the weighted mean.
 */
import { createHash } from 'node:crypto';
import { badRequest } from '../../core/errors.js';
import { isBinary, meanOf, meanInterval, normalQuantile, percentLabel, quantileSorted, type IntervalMethod } from './intervals.js';
import { paretoFront, type Direction, type ParetoResult } from './pareto.js';
import { pairedBootstrapReplicates, rankIntervalsFromOverlap, rankIntervalsFromReplicates, type RankInterval } from './ranks.js';
import { Rng } from './rng.js';

export interface BenchmarkSpec {
  id: string;
  higherIsBetter: boolean;
  /** Changes whenever the benchmark's definition or samples change (for the cache key). */
  version?: string;
  /** Its weight in the aggregate: a finite number > 0 (default 1). */
  weight?: number;
}

export interface ModelSpec {
  id: string;
  /** Changes whenever any of the model's scores change (for the cache key). */
  version?: string;
  /** e.g. $ per million tokens (lower is better). */
  cost?: number | null;
  /** e.g. seconds per answer (lower is better). */
  latency?: number | null;
}

/** Per-sample scores (aligned on the benchmark's sample ids; NaN = not scored), or a reported point and optional interval. */
export type ScoreEntry = { samples: Float64Array } | { mean: number; lo?: number; hi?: number; level?: number };

export interface LeaderboardInput {
  benchmarks: readonly BenchmarkSpec[];
  models: readonly ModelSpec[];
  /** scores[benchmarkId][modelId]; a missing entry means "not evaluated". */
  scores: Readonly<Record<string, Readonly<Record<string, ScoreEntry | undefined>> | undefined>>;
}

export type ObjectiveSource = 'aggregate' | 'cost' | 'latency' | { benchmark: string };

export interface ObjectiveSpec {
  name: string;
  source: ObjectiveSource;
  /** Default: aggregate max, cost and latency min, a benchmark by its own direction. */
  direction?: Direction;
}

export interface LeaderboardOptions {
  level?: number;
  /** Bootstrap resamples (default 1000; 0 = no bootstrap: analytic intervals and CI-overlap ranks). */
  B?: number;
  seed?: number;
  /** 'auto' (default): Wilson for 0/1 scores, bootstrap percentile otherwise; 'analytic': Wilson / Student-t; 'bootstrap': percentile for all. */
  interval?: 'auto' | 'analytic' | 'bootstrap';
  /** Resample this many random groups of samples instead of single samples when n is larger (see ranks.ts). */
  groups?: number;
  /** 2 or 3 objectives for the Pareto flags. */
  pareto?: readonly ObjectiveSpec[];
}

export interface Cell {
  model: string;
  mean: number | null;
  lo: number | null;
  hi: number | null;
  n: number | null;
  method: IntervalMethod;
  label: string;
  rank: number | null;
  rankLo: number | null;
  rankHi: number | null;
}

export interface BenchmarkResult {
  id: string;
  higherIsBetter: boolean;
  rankMethod: 'paired-bootstrap' | 'ci-overlap';
  rankLabel: string;
  /** One per model, in input model order. */
  cells: Cell[];
}

export interface AggregateRow {
  model: string;
  score: number | null;
  lo: number | null;
  hi: number | null;
  rank: number | null;
  rankLo: number | null;
  rankHi: number | null;
  /** Benchmarks the model has no score on (non-empty → no aggregate). */
  missing: string[];
}

export interface LeaderboardResult {
  benchmarks: BenchmarkResult[];
  aggregate: { rows: AggregateRow[]; label: string; normalisation: { benchmark: string; worst: number; best: number }[] };
  pareto: (ParetoResult & { objectives: { name: string; direction: Direction }[] }) | null;
  level: number;
  B: number;
  seed: number;
}

/** 32-bit FNV-1a of a string (for per-benchmark seeds). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function isSamples(e: ScoreEntry): e is { samples: Float64Array } {
  return (e as { samples?: unknown }).samples instanceof Float64Array;
}

/**
 * A cache key for a leaderboard: sha256 over the benchmark and model ids,
 * directions, versions, cost and latency, and the options. Callers bump a
 * model's or benchmark's `version` whenever its scores change; every entity
 * must carry one (otherwise the key could not see a change).
 */
export function leaderboardCacheKey(input: Pick<LeaderboardInput, 'benchmarks' | 'models'>, opts: LeaderboardOptions = {}): string {
  for (const x of [...input.benchmarks, ...input.models]) if (typeof x.version !== 'string') throw badRequest(`cache key: ${JSON.stringify(x.id)} has no version`);
  const canonical = JSON.stringify({
    v: 2, // bump when the computation changes (2: weighted aggregate)
    benchmarks: input.benchmarks.map((b) => [b.id, b.higherIsBetter, b.version, b.weight ?? 1]),
    models: input.models.map((m) => [m.id, m.version, m.cost ?? null, m.latency ?? null]),
    opts: [opts.level ?? 0.95, opts.B ?? 1000, opts.seed ?? 1, opts.interval ?? 'auto', opts.groups ?? null, (opts.pareto ?? []).map((o) => [o.name, o.source, o.direction ?? null])],
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export function computeLeaderboard(input: LeaderboardInput, opts: LeaderboardOptions = {}): LeaderboardResult {
  const level = opts.level ?? 0.95;
  const B = opts.B ?? 1000;
  const seed = (opts.seed ?? 1) >>> 0;
  const intervalMode = opts.interval ?? 'auto';
  if (!(level > 0 && level < 1)) throw badRequest(`confidence level must be in (0, 1), got ${level}`);
  if (!(Number.isInteger(B) && B >= 0)) throw badRequest(`B must be an integer >= 0, got ${B}`);
  if (!['auto', 'analytic', 'bootstrap'].includes(intervalMode)) throw badRequest(`unknown interval mode ${JSON.stringify(intervalMode)}`);
  if (intervalMode === 'bootstrap' && B === 0) throw badRequest('interval "bootstrap" needs B >= 1');
  const ids = new Set<string>();
  for (const m of input.models) {
    if (ids.has(m.id)) throw badRequest(`duplicate model ${JSON.stringify(m.id)}`);
    ids.add(m.id);
  }
  const bids = new Set<string>();
  for (const b of input.benchmarks) {
    if (bids.has(b.id)) throw badRequest(`duplicate benchmark ${JSON.stringify(b.id)}`);
    bids.add(b.id);
    if (b.weight !== undefined && !(Number.isFinite(b.weight) && b.weight > 0)) throw badRequest(`benchmark ${JSON.stringify(b.id)}: weight must be a finite number > 0`);
  }
  const M = input.models.length;
  const K = input.benchmarks.length;
  const alpha = 1 - level;
  const zLevel = normalQuantile(1 - alpha / 2);
  const groupsNote = (n: number): string => (opts.groups !== undefined && opts.groups < n ? ` over ${opts.groups} random groups of samples` : '');

  const benchResults: BenchmarkResult[] = [];
  const points: Float64Array[] = []; // per benchmark, per model (NaN = missing)
  const benchReps: (Float64Array | null)[] = []; // per benchmark, M × B (null when B = 0)

  for (const bench of input.benchmarks) {
    const entries = input.scores[bench.id] ?? {};
    const samples: (Float64Array | null)[] = [];
    let n = -1;
    for (const m of input.models) {
      const e = entries[m.id];
      if (e && isSamples(e)) {
        if (n === -1) n = e.samples.length;
        else if (e.samples.length !== n) throw badRequest(`benchmark ${bench.id}: per-sample arrays must have the same length (aligned on sample ids)`);
        samples.push(e.samples);
      } else samples.push(null);
    }
    const anySamples = n > 0;
    const rng = new Rng(seed ^ fnv1a(bench.id));
    const reps = B > 0 && anySamples ? pairedBootstrapReplicates(samples, { B, seed: rng.nextU32(), groups: opts.groups }) : null;
    const point = new Float64Array(M).fill(Number.NaN);
    const cells: Cell[] = [];
    const sortedBuf = new Float64Array(B);
    input.models.forEach((m, mi) => {
      const e = entries[m.id];
      if (!e) {
        cells.push({ model: m.id, mean: null, lo: null, hi: null, n: null, method: 'none', label: 'not evaluated', rank: null, rankLo: null, rankHi: null });
        return;
      }
      if (isSamples(e)) {
        const s = e.samples;
        const { mean, n: count } = meanOf(s);
        point[mi] = mean;
        const useBootstrap = reps !== null && (intervalMode === 'bootstrap' || (intervalMode === 'auto' && !isBinary(s)));
        if (useBootstrap && count > 0) {
          sortedBuf.set(reps.subarray(mi * B, (mi + 1) * B));
          sortedBuf.sort();
          cells.push({ model: m.id, mean, lo: quantileSorted(sortedBuf, alpha / 2), hi: quantileSorted(sortedBuf, 1 - alpha / 2), n: count, method: 'bootstrap-percentile', label: `${percentLabel(level)} paired percentile bootstrap${groupsNote(s.length)}, B = ${B}, seed ${seed}`, rank: null, rankLo: null, rankHi: null });
        } else {
          const iv = meanInterval(s, { method: 'analytic', level });
          cells.push({ model: m.id, mean: count > 0 ? mean : null, lo: Number.isNaN(iv.lo) ? null : iv.lo, hi: Number.isNaN(iv.hi) ? null : iv.hi, n: count, method: iv.method, label: iv.label, rank: null, rankLo: null, rankHi: null });
        }
        if (count === 0) point[mi] = Number.NaN;
        return;
      }
      if (!Number.isFinite(e.mean)) throw badRequest(`benchmark ${bench.id}, model ${m.id}: mean must be a finite number`);
      const hasIv = e.lo !== undefined && e.hi !== undefined;
      if (hasIv && !(Number.isFinite(e.lo) && Number.isFinite(e.hi) && e.lo! <= e.mean && e.mean <= e.hi!)) throw badRequest(`benchmark ${bench.id}, model ${m.id}: need lo <= mean <= hi`);
      point[mi] = e.mean;
      cells.push({ model: m.id, mean: e.mean, lo: hasIv ? e.lo! : null, hi: hasIv ? e.hi! : null, n: null, method: hasIv ? 'given' : 'none', label: hasIv ? `interval as reported${e.level ? ` (${percentLabel(e.level)})` : ''}` : 'no interval reported', rank: null, rankLo: null, rankHi: null });
      if (reps) {
        // Parametric replicates for a reported interval (normal, sd from its width).
        const z = e.level ? normalQuantile(1 - (1 - e.level) / 2) : zLevel;
        const sd = hasIv ? (e.hi! - e.lo!) / (2 * z) : 0;
        for (let b = 0; b < B; b++) reps[mi * B + b] = e.mean + sd * rng.nextNormal();
      }
    });
    let ranks: RankInterval[];
    let rankMethod: BenchmarkResult['rankMethod'];
    let rankLabel: string;
    if (reps) {
      ranks = rankIntervalsFromReplicates(reps, point, M, B, { higherIsBetter: bench.higherIsBetter, level });
      rankMethod = 'paired-bootstrap';
      rankLabel = `${percentLabel(level)} rank interval from a paired bootstrap${groupsNote(n)}, B = ${B}, seed ${seed}`;
    } else {
      ranks = rankIntervalsFromOverlap(
        cells.map((c) => ({ mean: c.mean ?? Number.NaN, lo: c.lo ?? c.mean ?? Number.NaN, hi: c.hi ?? c.mean ?? Number.NaN })),
        bench.higherIsBetter,
      );
      rankMethod = 'ci-overlap';
      rankLabel = 'rank interval from overlapping confidence intervals';
    }
    cells.forEach((c, i) => {
      c.rank = ranks[i]!.rank;
      c.rankLo = ranks[i]!.lo;
      c.rankHi = ranks[i]!.hi;
    });
    benchResults.push({ id: bench.id, higherIsBetter: bench.higherIsBetter, rankMethod, rankLabel, cells });
    points.push(point);
    benchReps.push(reps);
  }

  // Aggregate.
  const normalisation = input.benchmarks.map((bench, k) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of points[k]!) {
      if (v !== v) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return bench.higherIsBetter ? { benchmark: bench.id, worst: lo, best: hi } : { benchmark: bench.id, worst: hi, best: lo };
  });
  const norm = (k: number, v: number): number => {
    const { worst, best } = normalisation[k]!;
    return best === worst ? 0.5 : (v - worst) / (best - worst);
  };
  // Weights normalised to sum 1 once, so the point and every replicate are the same weighted mean.
  const weights = input.benchmarks.map((b) => b.weight ?? 1);
  const weightSum = weights.reduce((a, w) => a + w, 0);
  const w = Float64Array.from(weights, (x) => x / weightSum);
  const aggPoint = new Float64Array(M).fill(Number.NaN);
  const missing: string[][] = input.models.map(() => []);
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let k = 0; k < K; k++) {
      const v = points[k]![m]!;
      if (v !== v) missing[m]!.push(input.benchmarks[k]!.id);
      else s += w[k]! * norm(k, v);
    }
    if (K > 0 && missing[m]!.length === 0) aggPoint[m] = s;
  }
  // Aggregate replicates need replicates on every benchmark (a benchmark of reported points only has none: its points stay fixed, sd from their intervals).
  let aggReps: Float64Array | null = null;
  if (B > 0 && K > 0) {
    aggReps = new Float64Array(M * B).fill(Number.NaN);
    const fixedRng = new Rng(seed ^ 0x5bd1e995);
    const filled: Float64Array[] = benchReps.map((r, k) => {
      if (r) return r;
      // No per-sample data on this benchmark at all: parametric replicates from the reported intervals.
      const out = new Float64Array(M * B).fill(Number.NaN);
      benchResults[k]!.cells.forEach((c, m) => {
        if (c.mean === null) return;
        const sd = c.lo !== null && c.hi !== null ? (c.hi - c.lo) / (2 * zLevel) : 0;
        for (let b = 0; b < B; b++) out[m * B + b] = c.mean + sd * fixedRng.nextNormal();
      });
      return out;
    });
    for (let m = 0; m < M; m++) {
      if (aggPoint[m] !== aggPoint[m]) continue;
      for (let b = 0; b < B; b++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += w[k]! * norm(k, filled[k]![m * B + b]!);
        aggReps[m * B + b] = s;
      }
    }
  }
  const aggRanks = aggReps ? rankIntervalsFromReplicates(aggReps, aggPoint, M, B, { higherIsBetter: true, level }) : rankIntervalsFromOverlap(Array.from(aggPoint, (v) => ({ mean: v, lo: v, hi: v })), true);
  const sortedBuf = new Float64Array(B);
  const aggRows: AggregateRow[] = input.models.map((m, mi) => {
    const score = aggPoint[mi]!;
    if (score !== score) return { model: m.id, score: null, lo: null, hi: null, rank: null, rankLo: null, rankHi: null, missing: missing[mi]! };
    let lo: number | null = null;
    let hi: number | null = null;
    if (aggReps) {
      sortedBuf.set(aggReps.subarray(mi * B, (mi + 1) * B));
      sortedBuf.sort();
      lo = quantileSorted(sortedBuf, alpha / 2);
      hi = quantileSorted(sortedBuf, 1 - alpha / 2);
    }
    return { model: m.id, score, lo, hi, rank: aggRanks[mi]!.rank, rankLo: aggRanks[mi]!.lo, rankHi: aggRanks[mi]!.hi, missing: [] };
  });
  const weighted = weights.some((x) => x !== weights[0]);
  const aggLabel = `${weighted ? `weighted mean (weights ${weights.join(', ')})` : 'mean'} of per-benchmark scores normalised to [0, 1] (best model 1, worst 0) over ${K} benchmarks; ${aggReps ? `${percentLabel(level)} bootstrap interval, B = ${B}, seed ${seed}` : 'no interval (B = 0)'}`;

  const result: LeaderboardResult = { benchmarks: benchResults, aggregate: { rows: aggRows, label: aggLabel, normalisation }, pareto: null, level, B, seed };
  if (opts.pareto) result.pareto = leaderboardPareto(input, result, opts.pareto);
  return result;
}

/** Pareto flags over 2–3 objectives of a computed leaderboard (cheap: callers may ask for several views). */
export function leaderboardPareto(input: Pick<LeaderboardInput, 'benchmarks' | 'models'>, result: LeaderboardResult, objectives: readonly ObjectiveSpec[]): ParetoResult & { objectives: { name: string; direction: Direction }[] } {
  const resolved = objectives.map((o) => {
    if (o.source === 'aggregate') return { name: o.name, direction: o.direction ?? 'max', get: (mi: number) => result.aggregate.rows[mi]!.score };
    if (o.source === 'cost') return { name: o.name, direction: o.direction ?? 'min', get: (mi: number) => input.models[mi]!.cost };
    if (o.source === 'latency') return { name: o.name, direction: o.direction ?? 'min', get: (mi: number) => input.models[mi]!.latency };
    if (typeof o.source === 'object' && o.source !== null && typeof o.source.benchmark === 'string') {
      const k = input.benchmarks.findIndex((b) => b.id === (o.source as { benchmark: string }).benchmark);
      if (k < 0) throw badRequest(`Pareto objective ${o.name}: unknown benchmark ${JSON.stringify(o.source.benchmark)}`);
      return { name: o.name, direction: o.direction ?? (input.benchmarks[k]!.higherIsBetter ? 'max' : 'min'), get: (mi: number) => result.benchmarks[k]!.cells[mi]!.mean };
    }
    throw badRequest(`Pareto objective ${o.name}: unknown source`);
  });
  const front = paretoFront(
    input.models.map((m, mi) => ({ id: m.id, values: resolved.map((r) => r.get(mi)) })),
    resolved.map((r) => ({ name: r.name, direction: r.direction as Direction })),
  );
  return { ...front, objectives: resolved.map((r) => ({ name: r.name, direction: r.direction as Direction })) };
}
