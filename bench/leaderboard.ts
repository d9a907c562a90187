/**
 * Leaderboard statistics at scale: 500 models × 20 benchmarks × 10,000
 * per-sample scores (seeded synthetic data), the full `computeLeaderboard`
 * (means, intervals, paired-bootstrap rank intervals, aggregate with its
 * interval and rank interval, a Pareto view) against a plain nested loop
 * computing the mean of every (model, benchmark) array, both timed in the
 * same run, alternating. The ratio says what the statistics cost on top of
 * reading the data once.
 *
 *   npm run build && node dist/bench/leaderboard.js
 *
 * Environment: BENCH_LB_MODELS (500), BENCH_LB_BENCHMARKS (20),
 * BENCH_LB_SAMPLES (10000), BENCH_LB_B (resamples, 1000), BENCH_LB_GROUPS
 * (resampling groups, 500; 0 = resample single samples), BENCH_LB_EXACT_B
 * (resamples of the extra single-sample run, 100; 0 = skip it),
 * BENCH_ROUNDS (alternating rounds, 3). No timed assertions.
 */
import os from 'node:os';
import { computeLeaderboard, leaderboardCacheKey, type LeaderboardInput, type LeaderboardOptions } from '../src/evals/stats/leaderboard.js';
import { Rng } from '../src/evals/stats/rng.js';
import { benchRounds, isMain, log, median, table, type SummaryRow } from './common.js';

function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const v = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return v;
}

/**
 * Synthetic scores: model ability a_m ~ N(0, 1), sample difficulty d_i ~ N(0, 1) per benchmark.
 * Even benchmarks are accuracy (0/1 with P = σ(a_m − d_i)), odd ones continuous in [0, 1]
 * (σ(a_m − d_i + 0.5·noise)) and lower-is-better every fourth, so both directions and both
 * interval methods are exercised. Cost and latency per model for the Pareto view.
 */
export function generateData(M: number, K: number, n: number, seed: number): LeaderboardInput {
  const rng = new Rng(seed);
  const ability = Float64Array.from({ length: M }, () => rng.nextNormal());
  const models = Array.from({ length: M }, (_, m) => ({ id: `model-${m}`, version: 'v1', cost: Math.exp(ability[m]! + 0.5 * rng.nextNormal()), latency: Math.exp(0.3 * ability[m]! + 0.5 * rng.nextNormal()) }));
  const benchmarks = Array.from({ length: K }, (_, k) => ({ id: `bench-${k}`, higherIsBetter: k % 4 !== 3, version: 'v1' }));
  const scores: Record<string, Record<string, { samples: Float64Array }>> = {};
  const difficulty = new Float64Array(n);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < n; i++) difficulty[i] = rng.nextNormal();
    const perModel: Record<string, { samples: Float64Array }> = {};
    const binary = k % 2 === 0;
    const flip = !benchmarks[k]!.higherIsBetter;
    for (let m = 0; m < M; m++) {
      const s = new Float64Array(n);
      const a = ability[m]!;
      for (let i = 0; i < n; i++) {
        const z = a - difficulty[i]!;
        let v = binary ? (rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0) : 1 / (1 + Math.exp(-(z + 0.5 * (rng.next() - 0.5))));
        if (flip) v = 1 - v;
        s[i] = v;
      }
      perModel[models[m]!.id] = { samples: s };
    }
    scores[benchmarks[k]!.id] = perModel;
  }
  return { benchmarks, models, scores };
}

/** The baseline: the mean of every (model, benchmark) array, a straightforward nested loop. */
function plainLoop(input: LeaderboardInput): number {
  let check = 0;
  for (const b of input.benchmarks) {
    const per = input.scores[b.id]!;
    for (const m of input.models) {
      const s = (per[m.id] as { samples: Float64Array }).samples;
      let sum = 0;
      for (let i = 0; i < s.length; i++) sum += s[i]!;
      check += sum / s.length;
    }
  }
  return check;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export async function runLeaderboardBench(): Promise<SummaryRow[]> {
  const M = envInt('BENCH_LB_MODELS', 500, 2);
  const K = envInt('BENCH_LB_BENCHMARKS', 20, 1);
  const n = envInt('BENCH_LB_SAMPLES', 10000, 2);
  const B = envInt('BENCH_LB_B', 1000, 1);
  const groups = envInt('BENCH_LB_GROUPS', 500, 0);
  const exactB = envInt('BENCH_LB_EXACT_B', 100, 0);
  const rounds = benchRounds(3);
  log(`\n== Leaderboard statistics: ${M} models × ${K} benchmarks × ${n.toLocaleString('en')} samples, B = ${B}, ${groups > 0 ? `${groups} resampling groups` : 'single-sample resampling'}, ${rounds} alternating rounds ==`);
  let t0 = performance.now();
  const input = generateData(M, K, n, 42);
  log(`data: ${((M * K * n * 8) / 1e6).toFixed(0)} MB of Float64Array scores generated in ${secs(performance.now() - t0)}`);

  const opts: LeaderboardOptions = { B, seed: 1, groups: groups > 0 ? groups : undefined, pareto: [{ name: 'quality', source: 'aggregate' }, { name: 'cost', source: 'cost' }, { name: 'latency', source: 'latency' }] };
  t0 = performance.now();
  const key = leaderboardCacheKey(input, opts);
  const keyMs = performance.now() - t0;

  const plainMs: number[] = [];
  const lbMs: number[] = [];
  let front = 0;
  let check = 0;
  for (let r = 0; r < rounds; r++) {
    t0 = performance.now();
    check += plainLoop(input);
    plainMs.push(performance.now() - t0);
    t0 = performance.now();
    const res = computeLeaderboard(input, opts);
    lbMs.push(performance.now() - t0);
    front = res.pareto!.front.length;
    if (res.benchmarks.length !== K || res.aggregate.rows.some((x) => x.score === null || x.rankLo === null)) throw new Error('incomplete leaderboard');
  }
  const rows: string[][] = [
    ['plain loop (mean of every array)', secs(Math.min(...plainMs)), secs(median(plainMs)), '1'],
    [`leaderboard, B = ${B}${groups > 0 ? `, ${groups} groups` : ''}`, secs(Math.min(...lbMs)), secs(median(lbMs)), (median(lbMs) / median(plainMs)).toFixed(1)],
  ];
  let exactMs: number | null = null;
  if (exactB > 0) {
    // The plain paired bootstrap over single samples, once, for comparison (cost ∝ B × n × models).
    t0 = performance.now();
    computeLeaderboard(input, { ...opts, B: exactB, groups: undefined });
    exactMs = performance.now() - t0;
    rows.push([`leaderboard, B = ${exactB}, single samples (1 run)`, secs(exactMs), '-', (exactMs / median(plainMs)).toFixed(1)]);
  }
  log(table(['computation', 'best (fastest)', 'median', '× plain (median)'], rows));
  log(`Pareto front (quality × cost × latency): ${front} of ${M} models; cache key ${key.slice(0, 12)}… in ${keyMs.toFixed(2)} ms; checksum ${(check / rounds).toFixed(3)}`);
  return [
    {
      bench: `leaderboard ${M}×${K}×${n / 1000}k, B=${B}`,
      hub: secs(median(lbMs)),
      baseline: `${secs(median(plainMs))} loop`,
      ratio: (median(lbMs) / median(plainMs)).toFixed(1),
      target: 'seconds (< 60 s)',
      ok: median(lbMs) < 60_000,
    },
  ];
}

if (isMain(import.meta.url)) {
  log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
  runLeaderboardBench().catch((err: unknown) => {
    process.exitCode = 1;
    log(err instanceof Error ? err.stack ?? err.message : String(err));
  });
}
