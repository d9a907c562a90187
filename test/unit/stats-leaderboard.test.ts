/**
 * The leaderboard glue (src/evals/stats/leaderboard.ts) on a case small
 * enough to work out by hand.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HubError } from '../../src/core/errors.js';
import { computeLeaderboard, leaderboardCacheKey, leaderboardPareto, type LeaderboardInput } from '../../src/evals/stats/leaderboard.js';

const close = (actual: number | null, expected: number, tol: number, what = ''): void => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);
};

// acc (higher is better): per-sample 0/1 on 4 shared samples. err (lower is better): reported points only.
//   acc: X 3/4, Y 1/4, Z 2/4, W 0/4.   err: X 0.25 [0.125, 0.375], Y 0.5 [0.375, 0.625], Z 0 (no interval), W not evaluated.
const input: LeaderboardInput = {
  benchmarks: [
    { id: 'acc', higherIsBetter: true, version: '1' },
    { id: 'err', higherIsBetter: false, version: '1' },
  ],
  models: [
    { id: 'X', version: '1', cost: 10 },
    { id: 'Y', version: '1', cost: 1 },
    { id: 'Z', version: '1', cost: 5 },
    { id: 'W', version: '1', cost: 0.5 },
  ],
  scores: {
    acc: {
      X: { samples: Float64Array.from([1, 1, 1, 0]) },
      Y: { samples: Float64Array.from([1, 0, 0, 0]) },
      Z: { samples: Float64Array.from([1, 1, 0, 0]) },
      W: { samples: Float64Array.from([0, 0, 0, 0]) },
    },
    err: {
      X: { mean: 0.25, lo: 0.125, hi: 0.375 },
      Y: { mean: 0.5, lo: 0.375, hi: 0.625 },
      Z: { mean: 0 },
    },
  },
};

describe('leaderboard', () => {
  test('without bootstrap (B = 0): Wilson cells, CI-overlap ranks, normalised aggregate, Pareto — by hand', () => {
    const r = computeLeaderboard(input, { B: 0, pareto: [{ name: 'quality', source: 'aggregate' }, { name: 'cost', source: 'cost' }] });
    const acc = r.benchmarks[0]!;
    // Wilson at n = 4 (z = 1.959964, z²/n = 0.960365): 3/4 → centre (0.75 + 0.480183)/1.960365 = 0.627528,
    // half 1.959964·√(0.1875/4 + 0.060024)/1.960365 = 0.326886 → [0.300642, 0.954413]; 0/4 → [0, 0.960365/1.960365 = 0.489891].
    assert.equal(acc.cells[0]!.method, 'wilson');
    close(acc.cells[0]!.mean, 0.75, 0, 'X acc');
    close(acc.cells[0]!.lo, 0.300642, 1e-6, 'X lo');
    close(acc.cells[0]!.hi, 0.954413, 1e-6, 'X hi');
    close(acc.cells[3]!.hi, 0.489891, 1e-6, 'W hi');
    // All four Wilson intervals overlap (W's upper 0.49 > X's lower 0.30), so every rank interval is [1, 4].
    assert.equal(acc.rankMethod, 'ci-overlap');
    assert.deepEqual(acc.cells.map((c) => [c.rank, c.rankLo, c.rankHi]), [[1, 1, 4], [3, 1, 4], [2, 1, 4], [4, 1, 4]]);
    // err, lower is better, W absent (3 ranked). X: surely better = upper < 0.125: Z (0) → best 2; surely worse =
    // lower > 0.375: none (Y's 0.375 touches) → worst 3. Y: upper < 0.375: Z → 2 (X touches); worst 3.
    // Z: best 1; lower > 0: X, Y → worst 3 − 2 = 1.
    const err = r.benchmarks[1]!;
    assert.deepEqual(err.cells.map((c) => [c.rank, c.rankLo, c.rankHi]), [[2, 2, 3], [3, 2, 3], [1, 1, 1], [null, null, null]]);
    assert.deepEqual(err.cells.map((c) => c.method), ['given', 'given', 'none', 'none']);
    // Normalisation: acc worst 0 (W), best 0.75 → X 1, Y 1/3, Z 2/3; err best 0, worst 0.5 → X 0.5, Y 0, Z 1.
    // Aggregate = mean: X 0.75, Y 1/6, Z 5/6; W has no err → none. Ranks: Z 1, X 2, Y 3.
    assert.deepEqual(r.aggregate.normalisation, [
      { benchmark: 'acc', worst: 0, best: 0.75 },
      { benchmark: 'err', worst: 0.5, best: 0 },
    ]);
    const agg = r.aggregate.rows;
    close(agg[0]!.score, 0.75, 1e-12, 'X');
    close(agg[1]!.score, 1 / 6, 1e-12, 'Y');
    close(agg[2]!.score, 5 / 6, 1e-12, 'Z');
    assert.equal(agg[3]!.score, null);
    assert.deepEqual(agg[3]!.missing, ['err']);
    assert.deepEqual(agg.map((a) => a.rank), [2, 3, 1, null]);
    // Pareto (aggregate ↑, cost ↓): X (0.75, 10) is dominated by Z (0.833, 5); Y (0.167, 1) and Z are not; W has no aggregate.
    assert.deepEqual(r.pareto!.front, ['Y', 'Z']);
    assert.deepEqual(r.pareto!.dominated, ['X']);
    assert.deepEqual(r.pareto!.excluded, [{ id: 'W', missing: ['quality'] }]);
    // Another view from the same result: acc ↑ × err ↓ — Z (0.5, 0) dominates Y (0.25, 0.5); X (0.75, 0.25) is best on acc.
    const view = leaderboardPareto(input, r, [{ name: 'acc', source: { benchmark: 'acc' } }, { name: 'err', source: { benchmark: 'err' } }]);
    assert.deepEqual(view.front, ['X', 'Z']);
    assert.deepEqual(view.objectives, [{ name: 'acc', direction: 'max' }, { name: 'err', direction: 'min' }]);
  });

  test('with bootstrap: deterministic for a seed, paired-bootstrap ranks, intervals around the aggregate', () => {
    const opts = { B: 200, seed: 5 };
    const a = computeLeaderboard(input, opts);
    const b = computeLeaderboard(input, opts);
    assert.deepEqual(a, b);
    assert.notDeepEqual(computeLeaderboard(input, { B: 200, seed: 6 }).aggregate.rows, a.aggregate.rows);
    assert.equal(a.benchmarks[0]!.rankMethod, 'paired-bootstrap');
    // Binary scores keep the Wilson interval in 'auto' mode; 'bootstrap' mode switches them to the percentile bootstrap.
    assert.equal(a.benchmarks[0]!.cells[0]!.method, 'wilson');
    const boot = computeLeaderboard(input, { ...opts, interval: 'bootstrap' });
    assert.equal(boot.benchmarks[0]!.cells[0]!.method, 'bootstrap-percentile');
    // W scores 0 on every sample, so every replicate gives it 0 and the others ≥ 0: its bootstrap interval is exactly [0, 0].
    assert.deepEqual([boot.benchmarks[0]!.cells[3]!.lo, boot.benchmarks[0]!.cells[3]!.hi], [0, 0]);
    for (const row of a.aggregate.rows.slice(0, 3)) {
      assert.ok(row.lo! <= row.score! && row.score! <= row.hi!, `${row.model}: ${row.lo} ≤ ${row.score} ≤ ${row.hi}`);
      assert.ok(row.rankLo! <= row.rank! && row.rank! <= row.rankHi!);
    }
  });

  test('the cache key changes with a version or an option, and only then', () => {
    const k = leaderboardCacheKey(input, { B: 100 });
    assert.equal(leaderboardCacheKey(structuredClone({ benchmarks: input.benchmarks, models: input.models }), { B: 100 }), k);
    assert.notEqual(leaderboardCacheKey({ ...input, models: input.models.map((m, i) => (i === 1 ? { ...m, version: '2' } : m)) }, { B: 100 }), k);
    assert.notEqual(leaderboardCacheKey(input, { B: 100, seed: 2 }), k);
    assert.throws(() => leaderboardCacheKey({ benchmarks: input.benchmarks, models: [{ id: 'X' }] }), (e: unknown) => e instanceof HubError && e.code === 'BadRequest');
  });

  test('bad input is a BadRequest', () => {
    const bad = (fn: () => unknown): void => assert.throws(fn, (e: unknown) => e instanceof HubError && e.code === 'BadRequest');
    bad(() => computeLeaderboard({ ...input, scores: { acc: { X: { samples: new Float64Array(3) }, Y: { samples: new Float64Array(4) } } } }));
    bad(() => computeLeaderboard({ ...input, scores: { err: { X: { mean: 0.5, lo: 0.6, hi: 0.7 } } } }));
    bad(() => computeLeaderboard({ ...input, models: [...input.models, { id: 'X' }] }));
    bad(() => computeLeaderboard(input, { level: 2 }));
    bad(() => computeLeaderboard(input, { B: 0, pareto: [{ name: 'q', source: 'aggregate' }] }));
    bad(() => computeLeaderboard({ ...input, benchmarks: input.benchmarks.map((b, i) => (i ? b : { ...b, weight: 0 })) }));
    bad(() => computeLeaderboard({ ...input, benchmarks: input.benchmarks.map((b, i) => (i ? b : { ...b, weight: Number.NaN })) }));
  });
});

describe('leaderboard: weighted aggregate', () => {
  // hard (weight 3, per-sample, 2 shared samples): P [1, 0] → 0.5, Q [0, 0] → 0, R [1, 1] → 1.
  // easy (weight 1, reported points, no intervals): P 0.2, Q 1.0, R 0.6.
  const weighted: LeaderboardInput = {
    benchmarks: [
      { id: 'hard', higherIsBetter: true, version: '1', weight: 3 },
      { id: 'easy', higherIsBetter: true, version: '1', weight: 1 },
    ],
    models: [{ id: 'P', version: '1' }, { id: 'Q', version: '1' }, { id: 'R', version: '1' }],
    scores: {
      hard: { P: { samples: Float64Array.from([1, 0]) }, Q: { samples: Float64Array.from([0, 0]) }, R: { samples: Float64Array.from([1, 1]) } },
      easy: { P: { mean: 0.2 }, Q: { mean: 1 }, R: { mean: 0.6 } },
    },
  };

  test('point, interval and rank interval of the weighted mean, by hand', () => {
    // Normalised: hard worst 0 best 1 → P 0.5, Q 0, R 1; easy worst 0.2 best 1 → P 0, Q 1, R 0.5.
    // Weighted (3:1): P (1.5 + 0)/4 = 0.375, Q (0 + 1)/4 = 0.25, R (3 + 0.5)/4 = 0.875 → R 1, P 2, Q 3.
    // (Unweighted it would be P 0.25 < Q 0.5: the weights decide the order of P and Q.)
    const r = computeLeaderboard(weighted, { B: 200, seed: 3 });
    const [p, q, rr] = r.aggregate.rows;
    close(p!.score, 0.375, 1e-12, 'P');
    close(q!.score, 0.25, 1e-12, 'Q');
    close(rr!.score, 0.875, 1e-12, 'R');
    assert.deepEqual(r.aggregate.rows.map((a) => a.rank), [2, 3, 1]);
    assert.match(r.aggregate.label, /^weighted mean \(weights 3, 1\)/);
    // Replicates: Q and R score the same on every resample of hard, and easy has no interval, so theirs are fixed:
    // Q [0.25, 0.25], R [0.875, 0.875]. P's hard mean in a paired resample of its 2 samples is 0 (both draws sample 2,
    // probability 1/4), 0.5 (1/2) or 1 (1/4), so its aggregate is (3·{0, 0.5, 1} + 0)/4 = {0, 0.375, 0.75}; with
    // B = 200, about 50 replicates sit at each end, so the 2.5% and 97.5% quantiles are the ends: [0, 0.75].
    assert.deepEqual([q!.lo, q!.hi, rr!.lo, rr!.hi], [0.25, 0.25, 0.875, 0.875]);
    assert.deepEqual([p!.lo, p!.hi], [0, 0.75]);
    // Ranks per replicate: P at 0 is below Q (rank 3, Q 2); at 0.375 or 0.75 it is between Q and R (P 2, Q 3). R is always 1.
    assert.deepEqual(r.aggregate.rows.map((a) => [a.rankLo, a.rankHi]), [[2, 3], [2, 3], [1, 1]]);
  });

  test('equal weights give the plain mean; weights are part of the cache key', () => {
    const plain = computeLeaderboard({ ...weighted, benchmarks: weighted.benchmarks.map((b) => ({ ...b, weight: 2 })) }, { B: 0 });
    assert.deepEqual(plain.aggregate.rows.map((a) => a.score), [0.25, 0.5, 0.75]);
    assert.match(plain.aggregate.label, /^mean of/);
    const key = (w: number): string => leaderboardCacheKey({ ...weighted, benchmarks: weighted.benchmarks.map((b, i) => (i ? b : { ...b, weight: w })) });
    assert.notEqual(key(3), key(2));
    assert.equal(key(3), leaderboardCacheKey(weighted));
  });
});
