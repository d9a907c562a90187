/**
 * Hand-computed fixtures for the seeded PRNG and the mean intervals
 * (src/evals/stats/rng.ts, intervals.ts). Every expected number is worked
 * out in the comments, not taken from the code.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HubError } from '../../src/core/errors.js';
import { bootstrapInterval, meanInterval, normalQuantile, studentTQuantile, tInterval, wilsonInterval } from '../../src/evals/stats/intervals.js';
import { Rng } from '../../src/evals/stats/rng.js';

const close = (actual: number, expected: number, tol: number, what = ''): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);
};

describe('xoshiro128** PRNG', () => {
  test('matches the reference algorithm worked by hand from state (1, 2, 3, 4)', () => {
    // result = rotl(s1 * 5, 7) * 9, then t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11).
    // 1st: s1 = 2 → rotl(10, 7) = 1280 → 11520. State → (7, 0, 1026, 12288).
    // 2nd: s1 = 0 → 0. t = 0; s2 = 1026^7 = 1029; s3 = 12288; s1 = 1029; s0 = 7^12288 = 12295; s3 = rotl(12288, 11) = 25165824.
    // 3rd: s1 = 1029 → 5145 · 128 = 658560 → · 9 = 5927040. Then s2 = 1029^12295 = 13314, s1 = 1029^13314 = 12295.
    // 4th: s1 = 12295 → 61475 · 128 = 7868800 → · 9 = 70819200.
    const r = Rng.fromState(1, 2, 3, 4);
    assert.deepEqual([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()], [11520, 0, 5927040, 70819200]);
  });
  test('the same seed gives the same stream; nextInt is floor(u · n / 2^32)', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const us = Array.from({ length: 5 }, () => a.nextU32());
    // Seed 7 starts 1004282400, 2200021487, 1928073449, 741806228, 2429532727 (printed once, see the bootstrap fixture below).
    assert.deepEqual(us, [1004282400, 2200021487, 1928073449, 741806228, 2429532727]);
    // 1004282400 · 4 / 2^32 = 0.935 → 0; 2200021487 · 4 / 2^32 = 2.049 → 2; 1928073449 → 1.796 → 1; 741806228 → 0.691 → 0; 2429532727 → 2.263 → 2.
    assert.deepEqual(Array.from({ length: 5 }, () => b.nextInt(4)), [0, 2, 1, 0, 2]);
    assert.notDeepEqual(Array.from({ length: 5 }, () => new Rng(8).nextU32()), us);
  });
});

describe('distribution functions', () => {
  test('normal and t quantiles against table values', () => {
    close(normalQuantile(0.975), 1.959964, 1e-6, 'z 0.975');
    close(normalQuantile(0.5), 0, 1e-12, 'z 0.5');
    close(normalQuantile(0.005), -2.575829, 1e-6, 'z 0.005');
    close(studentTQuantile(0.975, 4), 2.776445, 1e-6, 't 4 df');
    close(studentTQuantile(0.975, 1), 12.706205, 1e-5, 't 1 df');
    close(studentTQuantile(0.95, 30), 1.697261, 1e-6, 't 30 df');
  });
});

describe('Wilson and t intervals', () => {
  test('Wilson 7/10 at 95%', () => {
    // z = 1.959964, z² = 3.841459, p̂ = 0.7, n = 10.
    // denominator 1 + z²/n = 1.3841459; centre (0.7 + z²/20) / 1.3841459 = 0.8920730 / 1.3841459 = 0.6444934.
    // half-width z·√(0.21/10 + z²/400) / 1.3841459 = 1.959964 · √0.0306036 / 1.3841459 = 0.3428741 / 1.3841459 = 0.2477153.
    // → [0.3967781, 0.8922087].
    const iv = wilsonInterval(7, 10, 0.95);
    close(iv.lo, 0.3967781, 1e-6, 'lo');
    close(iv.hi, 0.8922087, 1e-6, 'hi');
    assert.equal(iv.mean, 0.7);
    assert.equal(iv.method, 'wilson');
    assert.equal(iv.label, '95% Wilson score interval');
  });
  test('Wilson at 0/n stays inside [0, 1]', () => {
    // k = 0: centre = half-width = (z²/2n)/(1 + z²/n) → lo exactly 0; hi = (z²/n)/(1 + z²/n) = 0.3841459/1.3841459 = 0.2775328 for n = 10.
    const iv = wilsonInterval(0, 10);
    assert.equal(iv.lo, 0);
    close(iv.hi, 0.2775328, 1e-6, 'hi');
  });
  test('t interval of 1, 2, 3, 4, 5', () => {
    // mean 3, s² = (4+1+0+1+4)/4 = 2.5, se = √(2.5/5) = 0.7071068, t(0.975, 4) = 2.776445 → ± 1.963243.
    const iv = tInterval(Float64Array.from([1, 2, 3, 4, 5]));
    close(iv.lo, 1.036757, 1e-5, 'lo');
    close(iv.hi, 4.963243, 1e-5, 'hi');
    assert.equal(iv.method, 't');
  });
  test('NaN means "not scored" and is skipped', () => {
    const iv = meanInterval(Float64Array.from([1, Number.NaN, 0, 1, 1, 1, 0, 1, 1, 0, 1]), { method: 'auto' });
    // 10 scored samples, 7 ones: the Wilson 7/10 interval again.
    assert.equal(iv.n, 10);
    assert.equal(iv.method, 'wilson');
    close(iv.lo, 0.3967781, 1e-6, 'lo');
  });
});

describe('percentile bootstrap', () => {
  test('B = 5 with seed 7 reproduces the interval worked out by hand', () => {
    // Scores x = [2, 4, 6, 20] (n = 4, continuous), seed 7. The first 20 indices nextInt(4) of seed 7
    // (u32 values 1004282400, 2200021487, 1928073449, 741806228, 2429532727, 2033801169, 2204226377,
    //  1532573114, 3627243488, 964317380, 2427073810, 1397778264, 1437896328, 1645499691, 1091280592,
    //  856358369, 2647759248, 2236655484, 924364886, 2895072729, each · 4 / 2^32 floored) are
    //   0,2,1,0 | 2,1,2,1 | 3,0,2,1 | 1,1,1,0 | 2,2,0,2
    // Resample means: (2+6+4+2)/4 = 3.5; (6+4+6+4)/4 = 5; (20+2+6+4)/4 = 8; (4+4+4+2)/4 = 3.5; (6+6+2+6)/4 = 5.
    // Sorted 3.5, 3.5, 5, 5, 8. Type-7 quantiles: p = 0.025 → h = 4·0.025 = 0.1 → 3.5 + 0.1·0 = 3.5;
    // p = 0.975 → h = 3.9 → 5 + 0.9·(8 − 5) = 7.7. Point estimate 32/4 = 8.
    const iv = bootstrapInterval(Float64Array.from([2, 4, 6, 20]), { B: 5, seed: 7, level: 0.95 });
    assert.equal(iv.mean, 8);
    close(iv.lo, 3.5, 1e-12, 'lo');
    close(iv.hi, 7.7, 1e-12, 'hi');
    assert.equal(iv.method, 'bootstrap-percentile');
    assert.equal(iv.label, '95% percentile bootstrap, B = 5, seed 7');
  });
  test('meanInterval names the method it picked', () => {
    assert.equal(meanInterval(Float64Array.from([0.5, 0.25, 1])).method, 'bootstrap-percentile');
    assert.equal(meanInterval(Float64Array.from([0.5, 0.25, 1]), { method: 'analytic' }).method, 't');
    assert.equal(meanInterval(Float64Array.from([0, 1, 1]), { method: 'analytic' }).method, 'wilson');
  });
  test('bad input is a BadRequest', () => {
    const bad = (fn: () => unknown): void => assert.throws(fn, (e: unknown) => e instanceof HubError && e.code === 'BadRequest');
    bad(() => wilsonInterval(11, 10));
    bad(() => wilsonInterval(3, 10, 1.5));
    bad(() => bootstrapInterval(Float64Array.from([1, 2]), { B: 0 }));
    bad(() => meanInterval(Float64Array.from([0.5, 1]), { method: 'wilson' }));
  });
});
