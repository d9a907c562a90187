/**
 * Hand-computed fixtures for rank intervals (src/evals/stats/ranks.ts) and
 * the Pareto view (pareto.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HubError } from '../../src/core/errors.js';
import { paretoFront, paretoLayers, type Objective, type ParetoPoint } from '../../src/evals/stats/pareto.js';
import { competitionRanks, pairedBootstrapReplicates, rankIntervalsFromOverlap, rankIntervalsFromReplicates } from '../../src/evals/stats/ranks.js';

describe('rank intervals', () => {
  test('competition ranks share the best rank on ties ("1224")', () => {
    const out = competitionRanks([0.9, 0.5, 0.9, 0.1, Number.NaN], true, new Int32Array(5));
    assert.deepEqual([...out], [1, 3, 1, 4, 0]);
    const low = competitionRanks([3, 1, 1, 2], false, new Int32Array(4));
    assert.deepEqual([...low], [4, 1, 1, 3]);
  });

  test('paired bootstrap, 3 models × 4 samples, B = 5, seed 7', () => {
    // X = [1,1,0,0], Y = [0,1,1,0], Z = [1,0,0,1]: all means 2/4, so every point rank is 1.
    // Seed 7 draws (see stats-intervals.test.ts) 0,2,1,0 | 2,1,2,1 | 3,0,2,1 | 1,1,1,0 | 2,2,0,2, the same ids for every model.
    // Replicate sums:   r1  r2  r3  r4  r5
    //   X               3   2   2   4   1
    //   Y               2   4   2   3   3
    //   Z               2   0   2   1   1
    // Ranks per replicate (1 + #strictly higher): r1 X1 Y2 Z2; r2 Y1 X2 Z3; r3 all 1; r4 X1 Y2 Z3; r5 Y1 X2 Z2.
    // X: 1,2,1,1,2 → sorted 1,1,1,2,2;  Y: 2,1,1,2,1 → 1,1,1,2,2;  Z: 2,3,1,3,2 → 1,2,2,3,3.
    // Type-1 quantiles, B = 5: at 95% the ⌈0.125⌉ = 1st and ⌈4.875⌉ = 5th values: X [1,2], Y [1,2], Z [1,3].
    // At 50%: the ⌈1.25⌉ = 2nd and ⌈3.75⌉ = 4th: X [1,2], Y [1,2], Z [2,3].
    const scores = [Float64Array.from([1, 1, 0, 0]), Float64Array.from([0, 1, 1, 0]), Float64Array.from([1, 0, 0, 1])];
    const reps = pairedBootstrapReplicates(scores, { B: 5, seed: 7 });
    assert.deepEqual([...reps].map((v) => v * 4), [3, 2, 2, 4, 1, 2, 4, 2, 3, 3, 2, 0, 2, 1, 1]);
    const points = [0.5, 0.5, 0.5];
    assert.deepEqual(
      rankIntervalsFromReplicates(reps, points, 3, 5, { level: 0.95 }),
      [
        { rank: 1, lo: 1, hi: 2 },
        { rank: 1, lo: 1, hi: 2 },
        { rank: 1, lo: 1, hi: 3 },
      ],
    );
    assert.deepEqual(
      rankIntervalsFromReplicates(reps, points, 3, 5, { level: 0.5 }).map((r) => [r.lo, r.hi]),
      [
        [1, 2],
        [1, 2],
        [2, 3],
      ],
    );
  });

  test('the same replicates ranked with lower is better', () => {
    // Sums as above; lower is better. r1 (3,2,2): Y1 Z1 X3; r2 (2,4,0): Z1 X2 Y3; r3 all 1; r4 (4,3,1): Z1 Y2 X3; r5 (1,3,1): X1 Z1 Y3.
    // X: 3,2,1,3,1 → 1,1,2,3,3; Y: 1,3,1,2,3 → 1,1,2,3,3; Z: 1 in every replicate. 95%: 1st and 5th values.
    const scores = [Float64Array.from([1, 1, 0, 0]), Float64Array.from([0, 1, 1, 0]), Float64Array.from([1, 0, 0, 1])];
    const reps = pairedBootstrapReplicates(scores, { B: 5, seed: 7 });
    assert.deepEqual(
      rankIntervalsFromReplicates(reps, [0.5, 0.5, 0.5], 3, 5, { higherIsBetter: false }).map((r) => [r.lo, r.hi]),
      [
        [1, 3],
        [1, 3],
        [1, 1],
      ],
    );
  });

  test('a NaN sample is left out of that model\'s replicate means', () => {
    // Y = [NaN, 1, 1, 0] with the same draws: r1 ids 0,2,1,0 → scored ids 2,1 → (1+1)/2 = 1;
    // r2 2,1,2,1 → 4/4 = 1; r3 3,0,2,1 → ids 3,2,1 → 2/3; r4 1,1,1,0 → 3/3 = 1; r5 2,2,0,2 → 3/3 = 1.
    const reps = pairedBootstrapReplicates([Float64Array.from([Number.NaN, 1, 1, 0])], { B: 5, seed: 7 });
    assert.deepEqual([...reps].map((v) => Math.round(v * 3000) / 3000), [1, 1, 2 / 3, 1, 1].map((v) => Math.round(v * 3000) / 3000));
  });

  test('CI-overlap fallback, with a touching pair', () => {
    // A 0.8 [0.7, 0.9], B 0.75 [0.72, 0.78], C 0.5 [0.4, 0.6], D 0.6 [0.55, 0.7]; higher is better.
    // best = 1 + #lower bounds above my upper bound; worst = 4 − #upper bounds below my lower bound.
    // A: none above 0.9 → 1; below 0.7: C (0.6) only, D's 0.7 touches → 4 − 1 = 3.   A [1, 3], rank 1.
    // B: none above 0.78 → 1; below 0.72: C, D → 2.                                     B [1, 2], rank 2.
    // C: above 0.6: A 0.7, B 0.72 → 3; none below 0.4 → 4.                               C [3, 4], rank 4.
    // D: above 0.7: B 0.72 (A's 0.7 touches) → 2; none below 0.55 → 4.                   D [2, 4], rank 3.
    const r = rankIntervalsFromOverlap([
      { mean: 0.8, lo: 0.7, hi: 0.9 },
      { mean: 0.75, lo: 0.72, hi: 0.78 },
      { mean: 0.5, lo: 0.4, hi: 0.6 },
      { mean: 0.6, lo: 0.55, hi: 0.7 },
    ]);
    assert.deepEqual(r, [
      { rank: 1, lo: 1, hi: 3 },
      { rank: 2, lo: 1, hi: 2 },
      { rank: 4, lo: 3, hi: 4 },
      { rank: 3, lo: 2, hi: 4 },
    ]);
    // Lower is better (e.g. error rate), intervals as given: C (0.5) is first. C: upper 0.6, lower bounds... in "lower is better"
    // terms a model is surely better than C when its upper bound is below C's lower bound 0.4: none → best 1; surely worse when its
    // lower bound is above C's upper bound 0.6: A 0.7, B 0.72 → worst 4 − 2 = 2.
    assert.deepEqual(rankIntervalsFromOverlap([{ mean: 0.8, lo: 0.7, hi: 0.9 }, { mean: 0.75, lo: 0.72, hi: 0.78 }, { mean: 0.5, lo: 0.4, hi: 0.6 }, { mean: 0.6, lo: 0.55, hi: 0.7 }], false)[2], { rank: 1, lo: 1, hi: 2 });
  });

  test('resampling random groups estimates the same standard error as the formula', () => {
    // 10,000 samples with exactly 5,000 ones (alternating): the standard error of the mean is
    // √(p(1−p)/n) = √(0.25/10,000) = 0.005. Resampling 500 random groups of 20 gives a standard error
    // with ≈ 1/√(2·499) = 3.2% relative error, plus the Monte-Carlo error of B = 2,000 (≈ 1.6%):
    // 15% is about four standard deviations of both together. Pairing: a second model equal to the
    // first gets the identical replicate in every resample.
    const x = Float64Array.from({ length: 10000 }, (_, i) => i % 2);
    const reps = pairedBootstrapReplicates([x, Float64Array.from(x)], { B: 2000, seed: 11, groups: 500 });
    let s = 0;
    let ss = 0;
    for (let b = 0; b < 2000; b++) {
      s += reps[b]!;
      ss += reps[b]! * reps[b]!;
      assert.equal(reps[b], reps[2000 + b]);
    }
    const sd = Math.sqrt((ss - (s * s) / 2000) / 1999);
    assert.ok(Math.abs(sd / 0.005 - 1) < 0.15, `bootstrap sd ${sd} vs 0.005`);
    assert.ok(Math.abs(s / 2000 - 0.5) < 0.001);
  });

  test('misaligned per-sample arrays are refused', () => {
    assert.throws(
      () => pairedBootstrapReplicates([new Float64Array(3), new Float64Array(4)], { B: 2 }),
      (e: unknown) => e instanceof HubError && e.code === 'BadRequest',
    );
  });
});

describe('Pareto view', () => {
  // 8 points: quality (max), cost (min), latency (min).
  const pts: ParetoPoint[] = [
    { id: 'A', values: [0.9, 10, 3] },
    { id: 'B', values: [0.8, 5, 2] },
    { id: 'C', values: [0.8, 5, 2] }, // duplicate of B
    { id: 'D', values: [0.7, 5, 1] }, // same cost as B, lower quality
    { id: 'E', values: [0.6, 1, 5] },
    { id: 'F', values: [0.9, 12, 1] }, // same quality as A, higher cost
    { id: 'G', values: [0.5, 2, 6] },
    { id: 'H', values: [0.95, null, 1] }, // no cost: excluded
  ];
  const q: Objective = { name: 'quality', direction: 'max' };
  const cost: Objective = { name: 'cost', direction: 'min' };
  const lat: Objective = { name: 'latency', direction: 'min' };

  test('2-D (quality ↑, cost ↓) worked by hand', () => {
    // A (0.9, 10): nothing has q ≥ 0.9 and cost ≤ 10 and is better somewhere (F costs 12) → front.
    // B, C (0.8, 5): duplicates do not dominate each other; only A has more quality, at cost 10 → both front.
    // D (0.7, 5): B has the same cost and more quality → dominated (a tie on one objective is enough).
    // E (0.6, 1): cheapest → front.  F (0.9, 12): A has the same quality, cheaper → dominated.
    // G (0.5, 2): E is better on both → dominated.  H: no cost → excluded.
    const r = paretoFront(pts.map((p) => ({ id: p.id, values: p.values.slice(0, 2) })), [q, cost]);
    assert.deepEqual(r.front, ['A', 'B', 'C', 'E']);
    assert.deepEqual(r.dominated, ['D', 'F', 'G']);
    assert.deepEqual(r.excluded, [{ id: 'H', missing: ['cost'] }]);
    assert.equal(r.flags.get('H'), null);
    // Layers: after removing A, B, C, E, none of D (0.7, 5), F (0.9, 12), G (0.5, 2) dominates another → all layer 2.
    const layers = paretoLayers(pts.map((p) => ({ id: p.id, values: p.values.slice(0, 2) })), [q, cost]).layer;
    assert.deepEqual(Object.fromEntries(layers), { H: null, A: 1, B: 1, C: 1, E: 1, D: 2, F: 2, G: 2 });
  });

  test('3-D (quality ↑, cost ↓, latency ↓) worked by hand', () => {
    // With latency: D (0.7, 5, 1) is faster than B → nothing dominates it → front.
    // F (0.9, 12, 1) is faster than A (3) → front. G (0.5, 2, 6) is still dominated by E (0.6, 1, 5).
    const r = paretoFront(pts, [q, cost, lat]);
    assert.deepEqual(r.front, ['A', 'B', 'C', 'D', 'E', 'F']);
    assert.deepEqual(r.dominated, ['G']);
    const layers = paretoLayers(pts, [q, cost, lat]).layer;
    assert.equal(layers.get('G'), 2);
    assert.equal(layers.get('A'), 1);
  });

  test('a chain gives one layer per point', () => {
    // (1,1) > (2,2) > (3,3) with both objectives minimised: layers 1, 2, 3.
    const r = paretoLayers(
      [
        { id: 'c', values: [3, 3] },
        { id: 'a', values: [1, 1] },
        { id: 'b', values: [2, 2] },
      ],
      [
        { name: 'x', direction: 'min' },
        { name: 'y', direction: 'min' },
      ],
    );
    assert.deepEqual(Object.fromEntries(r.layer), { a: 1, b: 2, c: 3 });
  });

  test('bad input is a BadRequest', () => {
    const bad = (fn: () => unknown): void => assert.throws(fn, (e: unknown) => e instanceof HubError && e.code === 'BadRequest');
    bad(() => paretoFront(pts, [q]));
    bad(() => paretoFront([{ id: 'x', values: [1, 2] }, { id: 'x', values: [2, 1] }], [q, cost]));
    bad(() => paretoFront([{ id: 'x', values: [1] }], [q, cost]));
  });
});
