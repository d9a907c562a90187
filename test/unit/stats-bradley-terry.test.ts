/**
 * Hand-computed fixtures for the arena ratings (src/evals/stats/bradley-terry.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HubError } from '../../src/core/errors.js';
import { fitBradleyTerry, voterCapWeights, type Battle } from '../../src/evals/stats/bradley-terry.js';

const close = (actual: number, expected: number, tol: number, what = ''): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);
};

function battles(a: string, b: string, aWins: number, bWins: number, ties = 0, voter?: string): Battle[] {
  const out: Battle[] = [];
  for (let i = 0; i < aWins; i++) out.push({ a, b, outcome: 'a', voter });
  for (let i = 0; i < bWins; i++) out.push({ a, b, outcome: 'b', voter });
  for (let i = 0; i < ties; i++) out.push({ a, b, outcome: 'tie', voter });
  return out;
}

const rating = (r: { ratings: { model: string; rating: number }[] }, m: string): number => r.ratings.find((x) => x.model === m)!.rating;

describe('Bradley–Terry', () => {
  test('3 players: counts proportional to strengths 4 : 2 : 1 give exactly those strengths', () => {
    // Counts: A–B 2:1, A–C 4:1, B–C 2:1. Likelihood L = Π p_ij^{w_ij} with p_ij = π_i / (π_i + π_j).
    // Score equations (∂ log L / ∂ log π_i = 0): wins_i = Σ_j n_ij · π_i / (π_i + π_j).
    // Try π = (4, 2, 1): A: 3·4/6 + 5·4/5 = 2 + 4 = 6 = wins_A (2 + 4) ✓;
    //                    B: 3·2/6 + 3·2/3 = 1 + 2 = 3 = wins_B (1 + 2) ✓;  C: 5·1/5 + 3·1/3 = 2 = wins_C ✓.
    // The comparison graph is strongly connected, so the MLE is unique: π ∝ (4, 2, 1), β = ln π.
    // Mean-anchored Elo scale: mean β = ln 8 / 3 = ln 2, so β − mean = (ln 2, 0, −ln 2) and
    // rating = 1000 + 400·log10(e)·(β − mean) = 1000 ± 400·log10 2 = 1120.412, 1000, 879.588.
    const data = [...battles('A', 'B', 2, 1), ...battles('A', 'C', 4, 1), ...battles('B', 'C', 2, 1)];
    const r = fitBradleyTerry(data);
    close(rating(r.plain, 'A'), 1120.412, 0.01, 'A');
    close(rating(r.plain, 'B'), 1000, 0.01, 'B');
    close(rating(r.plain, 'C'), 879.588, 0.01, 'C');
    assert.deepEqual(r.plain.ratings.map((x) => [x.model, x.rank, x.battles]), [['A', 1, 8], ['B', 2, 6], ['C', 3, 8]]);
    // Anchored on C = 1000 instead: A = 1000 + 400·log10 4 = 1240.824, B = 1120.412.
    const anchored = fitBradleyTerry(data, { anchor: { model: 'C' } });
    close(rating(anchored.plain, 'A'), 1240.824, 0.01, 'A anchored');
    close(rating(anchored.plain, 'C'), 1000, 1e-9, 'C anchored');
  });

  test('a cyclic set (A > B > C > A, 2:1 each) gives equal ratings', () => {
    // By symmetry π_A = π_B = π_C solves wins_i = 3 = 3·½ + 3·½ for every i.
    const r = fitBradleyTerry([...battles('A', 'B', 2, 1), ...battles('B', 'C', 2, 1), ...battles('C', 'A', 2, 1)]);
    for (const m of ['A', 'B', 'C']) close(rating(r.plain, m), 1000, 0.01, m);
  });

  test('a tie is half a win each; "both bad" is a tie or dropped', () => {
    // A–B: 1 win for A, 2 ties → A 2 wins, B 1 win in halves. Two players: β_A − β_B = ln(2/1),
    // mean-anchored: ± 200·log10 2 = ± 60.206.
    const data: Battle[] = [...battles('A', 'B', 1, 0, 2), { a: 'A', b: 'B', outcome: 'both_bad' }, { a: 'B', b: 'A', outcome: 'a' }];
    // With the both_bad as a tie and B's win (B listed first): A 2.5, B 2.5 → equal.
    const asTie = fitBradleyTerry(data);
    close(rating(asTie.plain, 'A'), 1000, 0.01, 'tie');
    // Dropped: A 2, B 2 → equal again; drop the B win too to see the halves: A 2, B 1.
    const dropped = fitBradleyTerry(data.slice(0, 4), { bothBad: 'drop' });
    assert.equal(dropped.battlesDropped, 1);
    close(rating(dropped.plain, 'A'), 1060.206, 0.01, 'A');
    close(rating(dropped.plain, 'B'), 939.794, 0.01, 'B');
  });

  test('bootstrap intervals are reproducible and contain the point', () => {
    const data = [...battles('A', 'B', 30, 20), ...battles('A', 'C', 40, 10), ...battles('B', 'C', 30, 20)];
    const r1 = fitBradleyTerry(data, { B: 50, seed: 3 });
    const r2 = fitBradleyTerry(data, { B: 50, seed: 3 });
    assert.deepEqual(r1, r2);
    for (const x of r1.plain.ratings) {
      assert.ok(x.lo! < x.rating && x.rating < x.hi!, `${x.model}: ${x.lo} < ${x.rating} < ${x.hi}`);
      assert.ok(x.rankLo! <= x.rank && x.rank <= x.rankHi!);
    }
    assert.match(r1.label, /B = 50, seed 3/);
  });
});

describe('voter cap', () => {
  test('the cap level solves L = c·(uncapped + #capped·L)', () => {
    // Voters: s1 80 battles, s2..s5 10 each; cap 0.25. One capped: L = 0.25·40 / (1 − 0.25) = 13.333…,
    // between the largest uncapped (10) and s1's 80 → s1's battles weigh 13.333/80 = 1/6 each.
    // Shares after: 13.333 / 53.333 = 0.25 for s1, 10 / 53.333 = 0.1875 for the others.
    const voters = [...Array(80).fill('s1'), ...['s2', 's3', 's4', 's5'].flatMap((v) => Array(10).fill(v))];
    const { weights, level } = voterCapWeights(voters, 0.25);
    close(level!, 40 / 3, 1e-9, 'level');
    close(weights[0]!, 1 / 6, 1e-12, 's1 weight');
    assert.equal(weights[80], 1);
  });

  test('capping a dominant voter moves the fit in the expected direction, by the expected amount', () => {
    // s1 votes A over B 80 times; s2..s5 vote 5 A wins and 5 B wins each (20 : 20).
    // Uncapped: A 100 wins, B 20 → rating difference 400·log10(100/20) = 279.588.
    // Cap 0.25: s1's 80 wins weigh 13.333 → A 33.333, B 20 → 400·log10(5/3) = 88.739.
    const data: Battle[] = [...battles('A', 'B', 80, 0, 0, 's1')];
    for (const v of ['s2', 's3', 's4', 's5']) data.push(...battles('A', 'B', 5, 5, 0, v));
    const free = fitBradleyTerry(data);
    const capped = fitBradleyTerry(data, { voterCap: 0.25 });
    close(rating(free.plain, 'A') - rating(free.plain, 'B'), 279.588, 0.01, 'uncapped');
    close(rating(capped.plain, 'A') - rating(capped.plain, 'B'), 88.739, 0.01, 'capped');
    assert.deepEqual(capped.cappedVoters.map((v) => [v.voter, v.battles]), [['s1', 80]]);
    close(capped.cappedVoters[0]!.shareAfter, 0.25, 1e-9, 'share');
  });

  test('fewer than 1/cap voters: every voter gets the same total weight', () => {
    // Two voters (60 and 20 battles), cap 0.25 is impossible (2 · 0.25 < 1) → both at the smaller total, 20.
    const { weights, equalised } = voterCapWeights([...Array(60).fill('x'), ...Array(20).fill('y')], 0.25);
    assert.equal(equalised, true);
    close(weights[0]!, 20 / 60, 1e-12, 'x');
    assert.equal(weights[60], 1);
  });
});

describe('style control', () => {
  test('a model that wins only by writing longer answers ends level with the others once length is controlled', () => {
    // Four models of equal true strength; in every battle the longer answer (1000 vs 500 chars) wins 3 times out of 4.
    // Length feature d = (len_a − len_b)/(len_a + len_b) = ±500/1500 = ±1/3; its root mean square is 1/3, so the
    // standardised feature is ±1. A writes the long answer in 8 of its 12 battles against each opponent:
    //   A long: 8 battles, A wins 6;  A short: 4 battles, A wins 1   (A: 7 of 12 against each → ahead uncontrolled).
    // Other pairs: 4 battles each way round, the long side winning 3 of 4.
    // Joint model P(a wins) = σ(β_a − β_b + γ·d). With all β equal and γ = ln 3, σ(±ln 3) = 3/4 or 1/4 — every
    // (pair, configuration) cell's observed share equals its prediction, so all score equations hold: that is the MLE.
    const long = { length: 1000 };
    const short = { length: 500 };
    const data: Battle[] = [];
    const cell = (a: string, b: string, aLong: boolean, aWins: number, bWins: number): void => {
      for (let i = 0; i < aWins + bWins; i++) data.push({ a, b, outcome: i < aWins ? 'a' : 'b', styleA: aLong ? long : short, styleB: aLong ? short : long });
    };
    for (const o of ['B', 'C', 'D']) {
      cell('A', o, true, 6, 2);
      cell('A', o, false, 1, 3);
    }
    for (const [x, y] of [['B', 'C'], ['B', 'D'], ['C', 'D']] as const) {
      cell(x, y, true, 3, 1);
      cell(x, y, false, 1, 3);
    }
    const r = fitBradleyTerry(data, { style: true });
    // Uncontrolled: A won 21 of its 36 battles (7 of 12 against each), B, C and D are symmetric among themselves → A ahead.
    const plainA = rating(r.plain, 'A');
    for (const o of ['B', 'C', 'D']) assert.ok(plainA - rating(r.plain, o) > 30, `uncontrolled A ahead of ${o}: ${plainA} vs ${rating(r.plain, o)}`);
    // Controlled: all four at 1000 and the length coefficient ln 3 = 1.0986.
    for (const m of ['A', 'B', 'C', 'D']) close(rating(r.styleControlled!, m), 1000, 0.05, `controlled ${m}`);
    assert.deepEqual(r.styleControlled!.coefficients.map((c) => c.feature), ['length']); // Markdown counts never differ: dropped
    close(r.styleControlled!.coefficients[0]!.value, Math.log(3), 1e-4, 'γ length');
  });

  test('bad input is a BadRequest', () => {
    const bad = (fn: () => unknown): void => assert.throws(fn, (e: unknown) => e instanceof HubError && e.code === 'BadRequest');
    bad(() => fitBradleyTerry([{ a: 'A', b: 'A', outcome: 'a' }]));
    bad(() => fitBradleyTerry([]));
    bad(() => fitBradleyTerry([{ a: 'A', b: 'B', outcome: 'a' }], { style: true }));
    bad(() => fitBradleyTerry([{ a: 'A', b: 'B', outcome: 'a' }], { voterCap: 0 }));
    bad(() => fitBradleyTerry([{ a: 'A', b: 'B', outcome: 'a' }], { anchor: { model: 'Z' } }));
  });
});
