/**
 * Confidence intervals for a model's mean score on one benchmark, from its
 * per-sample scores (one number per evaluated sample, `Float64Array`).
 *
 * Methods (docs/evaluation-statistics.md explains them for readers):
 * - `bootstrap-percentile`: resample the samples with replacement `B` times
 *   (seeded, `Rng`), take the mean of each resample, and report the
 *   α/2 and 1 − α/2 quantiles of those means (quantile type 7: linear
 *   interpolation between order statistics, the default of R and NumPy).
 * - `wilson`: the Wilson score interval, for 0/1 scores (accuracy).
 * - `t`: mean ± t_{n−1, 1−α/2} · s / √n, for continuous scores.
 *
 * `meanInterval` picks a method (or takes the caller's) and returns its name
 * and a human label, so that a page can say which interval it shows.
 *
 * NaN entries mean "not scored" and are skipped everywhere.
 */
import { badRequest } from '../../core/errors.js';
import { Rng } from './rng.js';

export type IntervalMethod = 'bootstrap-percentile' | 'wilson' | 't' | 'given' | 'none';

export interface Interval {
  /** Point estimate (the plain mean of the non-NaN scores). */
  mean: number;
  lo: number;
  hi: number;
  /** Number of scores used (non-NaN). */
  n: number;
  level: number;
  method: IntervalMethod;
  /** e.g. "95% percentile bootstrap, B = 1000, seed 1". */
  label: string;
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw badRequest(`confidence level must be in (0, 1), got ${level}`);
}

export function percentLabel(level: number): string {
  return `${Number((level * 100).toFixed(2))}%`;
}

/** Mean of the non-NaN entries and how many there were (NaN mean when there are none). */
export function meanOf(xs: Float64Array): { mean: number; n: number } {
  let s = 0;
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (v === v) {
      s += v;
      n++;
    }
  }
  return { mean: n === 0 ? Number.NaN : s / n, n };
}

/** True when every non-NaN score is exactly 0 or 1. */
export function isBinary(xs: Float64Array): boolean {
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (v === v && v !== 0 && v !== 1) return false;
  }
  return true;
}

/**
 * Quantile of a sorted array, type 7 (Hyndman & Fan 1996): h = (len − 1)·p,
 * value = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const len = sorted.length;
  if (len === 0) return Number.NaN;
  const h = (len - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, len - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

// ---------------------------------------------------------------------------
// Distribution functions.

/**
 * Standard normal quantile, Acklam's rational approximation (relative error
 * < 1.2e-9 over (0, 1)); plenty for interval bounds printed to 3–4 digits.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return Number.NaN;
  }
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - plow) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~15 digits). */
export function logGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const xx = x - 1;
  let s = g[0]!;
  for (let i = 1; i < 9; i++) s += g[i]! / (xx + i);
  const t = xx + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes `betacf`). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbt = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lbt) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lbt) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** CDF of Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t (bisection on the CDF to 1e-12; exact enough for any df >= 1). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw badRequest(`t quantile needs p in (0, 1), got ${p}`);
  if (!(df > 0)) throw badRequest(`t quantile needs df > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---------------------------------------------------------------------------
// Intervals.

/**
 * Wilson score interval for k successes out of n at the given level:
 * (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n), z = Φ⁻¹(1 − α/2).
 */
export function wilsonInterval(k: number, n: number, level = 0.95): Interval {
  checkLevel(level);
  if (!(Number.isInteger(n) && n >= 0 && k >= 0 && k <= n)) throw badRequest(`Wilson interval needs 0 <= k <= n, got k=${k}, n=${n}`);
  const label = `${percentLabel(level)} Wilson score interval`;
  if (n === 0) return { mean: Number.NaN, lo: Number.NaN, hi: Number.NaN, n, level, method: 'wilson', label };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Clamp the rounding error at p = 0 or 1, where the exact bound is 0 or 1.
  return { mean: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half), n, level, method: 'wilson', label };
}

/** Student-t interval for the mean of continuous scores: x̄ ± t_{n−1,1−α/2}·s/√n (s with n − 1). */
export function tInterval(xs: Float64Array, level = 0.95): Interval {
  checkLevel(level);
  const { mean, n } = meanOf(xs);
  const label = `${percentLabel(level)} Student-t interval`;
  if (n < 2) return { mean, lo: Number.NaN, hi: Number.NaN, n, level, method: 't', label };
  let ss = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (v === v) ss += (v - mean) * (v - mean);
  }
  const se = Math.sqrt(ss / (n - 1) / n);
  const t = studentTQuantile(1 - (1 - level) / 2, n - 1);
  return { mean, lo: mean - t * se, hi: mean + t * se, n, level, method: 't', label };
}

export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  B?: number;
  /** Confidence level (default 0.95). */
  level?: number;
  /** PRNG seed (default 1). */
  seed?: number;
}

/**
 * Replicate means of a percentile bootstrap: for b = 0..B−1, draw n indices
 * uniformly with replacement (`rng.nextInt(n)`, in that order) and average
 * the scores at them. One output array; nothing is allocated per resample.
 * NaN scores are removed first (into one compact copy) so that every
 * resample has exactly n scored samples.
 */
export function bootstrapMeans(xs: Float64Array, B: number, rng: Rng): Float64Array {
  if (!(Number.isInteger(B) && B >= 1)) throw badRequest(`bootstrap needs an integer B >= 1, got ${B}`);
  let data = xs;
  const { n } = meanOf(xs);
  if (n !== xs.length) {
    data = new Float64Array(n);
    let j = 0;
    for (let i = 0; i < xs.length; i++) if (xs[i] === xs[i]) data[j++] = xs[i]!;
  }
  const out = new Float64Array(B);
  if (n === 0) return out.fill(Number.NaN);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[Math.floor((rng.nextU32() * n) / 4294967296)]!;
    out[b] = s / n;
  }
  return out;
}

/** Percentile bootstrap interval for the mean (see the module comment for the quantile rule). */
export function bootstrapInterval(xs: Float64Array, opts: BootstrapOptions = {}): Interval {
  const B = opts.B ?? 1000;
  const level = opts.level ?? 0.95;
  const seed = opts.seed ?? 1;
  checkLevel(level);
  const { mean, n } = meanOf(xs);
  const reps = bootstrapMeans(xs, B, new Rng(seed)).sort();
  const alpha = 1 - level;
  const label = `${percentLabel(level)} percentile bootstrap, B = ${B}, seed ${seed}`;
  return { mean, lo: quantileSorted(reps, alpha / 2), hi: quantileSorted(reps, 1 - alpha / 2), n, level, method: 'bootstrap-percentile', label };
}

export interface MeanIntervalOptions extends BootstrapOptions {
  /**
   * 'auto' (default): Wilson for 0/1 scores, percentile bootstrap otherwise;
   * 'analytic': Wilson for 0/1 scores, Student-t otherwise.
   */
  method?: 'auto' | 'analytic' | 'bootstrap' | 'wilson' | 't';
}

/** The interval a page shows for one (model, benchmark), with the method named. */
export function meanInterval(xs: Float64Array, opts: MeanIntervalOptions = {}): Interval {
  const method = opts.method ?? 'auto';
  const level = opts.level ?? 0.95;
  const binary = isBinary(xs);
  const wilson = (): Interval => {
    if (!binary) throw badRequest('the Wilson interval needs 0/1 scores');
    let k = 0;
    let n = 0;
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i]!;
      if (v === v) {
        k += v;
        n++;
      }
    }
    return wilsonInterval(k, n, level);
  };
  switch (method) {
    case 'auto':
      return binary ? wilson() : bootstrapInterval(xs, opts);
    case 'analytic':
      return binary ? wilson() : tInterval(xs, level);
    case 'bootstrap':
      return bootstrapInterval(xs, opts);
    case 'wilson':
      return wilson();
    case 't':
      return tInterval(xs, level);
    default:
      throw badRequest(`unknown interval method ${JSON.stringify(method)}`);
  }
}
