/**
 * Arena ratings: Bradley–Terry from pairwise battles, fitted as a weighted
 * logistic regression by Newton's method, with bootstrap intervals over
 * battles, optional style control and a per-voter weight cap.
 *
 * Model: P(a beats b) = σ(β_a − β_b + γ·(s_a − s_b)), σ the logistic function.
 * Without style control γ is absent (plain Bradley–Terry: π_i = e^{β_i}).
 * Outcomes: a wins → y = 1, b wins → y = 0, tie → y = ½ (half a win each);
 * "both bad" → a tie (default, `bothBad: 'tie'`) or dropped (`'drop'`).
 * The fit maximises Σ w·[y ln p + (1 − y) ln(1 − p)] − (λ/2)·Σθ² with a tiny
 * ridge λ (default 1e-6): β is only identified up to a common shift, and the
 * ridge picks one and keeps a model that never lost finite. Ratings are then
 * shifted so that the anchor (the mean of all models, or a named model) sits
 * at `anchorRating` (1000), and scaled to the Elo convention:
 * rating = anchorRating + 400·log10(e)·(β − β_anchor), so 400 points = 10:1 odds.
 *
 * Style control (`style: true`): per battle and feature f ∈ {length, headers,
 * lists, bold}, d_f = (f_a − f_b)/(f_a + f_b) (0 when both are 0), divided
 * by its root mean square over the battles (features that never differ are
 * dropped). The γ are fitted jointly with β; ratings are reported both
 * without (the plain fit) and with the control (β of the joint fit).
 *
 * Voter cap (`voterCap: c`): no voter may carry more than a share c of the
 * total weight. Voters over it get per-battle weight L / n_v, where the level
 * L solves L = c·(Σ_{uncapped} n_v + (#capped)·L). If that is impossible
 * (fewer than 1/c voters), every voter gets the same total weight. Battles
 * without a voter id count as a voter of their own each. Weights are fixed
 * on the full data and carried into the bootstrap.
 *
 * Bootstrap: B resamples of the battles with replacement (seeded `Rng`), a
 * refit each (warm-started), percentile intervals (type 7) of each model's
 * rating and rank intervals (see ranks.ts) from the same replicates. A model
 * drawn into no battle of a replicate has no rating there (left out of its
 * quantiles); a replicate without the named anchor model is anchored on the mean.
 */
import { badRequest } from '../../core/errors.js';
import { quantileSorted } from './intervals.js';
import { competitionRanks, rankIntervalsFromReplicates } from './ranks.js';
import { Rng } from './rng.js';

export type BattleOutcome = 'a' | 'b' | 'tie' | 'both_bad';

export interface StyleFeatures {
  /** Answer length (characters or tokens; the same unit for every battle). */
  length: number;
  /** Markdown header count. */
  headers?: number;
  /** Markdown list item count. */
  lists?: number;
  /** Markdown bold span count. */
  bold?: number;
}

export interface Battle {
  a: string;
  b: string;
  outcome: BattleOutcome;
  voter?: string;
  styleA?: StyleFeatures;
  styleB?: StyleFeatures;
}

export interface BradleyTerryOptions {
  bothBad?: 'tie' | 'drop';
  /** 'mean' (default): the mean rating of all models is `anchorRating`; or a model id that gets it. */
  anchor?: 'mean' | { model: string };
  anchorRating?: number;
  ridge?: number;
  /** Share in (0, 1]: the most any one voter may contribute to the total weight. */
  voterCap?: number;
  /** Also fit with style control (needs styleA/styleB on every battle). */
  style?: boolean;
  /** Bootstrap resamples (0 = none, the default). */
  B?: number;
  seed?: number;
  level?: number;
}

export interface Rating {
  model: string;
  rating: number;
  lo: number | null;
  hi: number | null;
  rank: number;
  rankLo: number | null;
  rankHi: number | null;
  /** Battles this model took part in (after dropping). */
  battles: number;
}

export interface RatingFit {
  ratings: Rating[];
  /** Style coefficients (γ per standardised feature, on the logit scale); empty without style control. */
  coefficients: { feature: string; value: number; lo: number | null; hi: number | null }[];
}

export interface BradleyTerryResult {
  models: string[];
  plain: RatingFit;
  styleControlled: RatingFit | null;
  battlesUsed: number;
  battlesDropped: number;
  /** Voters whose battles were down-weighted, with their share before and after. */
  cappedVoters: { voter: string; battles: number; shareBefore: number; shareAfter: number }[];
  label: string;
}

const ELO = 400 / Math.LN10;
const FEATURES = ['length', 'headers', 'lists', 'bold'] as const;

/**
 * Per-battle weights so that no voter carries more than `cap` of the total
 * (see the module comment). `voters[i]` undefined = a voter of its own.
 */
export function voterCapWeights(voters: readonly (string | undefined)[], cap: number): { weights: Float64Array; level: number | null; equalised: boolean } {
  if (!(cap > 0 && cap <= 1)) throw badRequest(`voterCap must be in (0, 1], got ${cap}`);
  const N = voters.length;
  const key = (i: number): string => (voters[i] === undefined ? `\u0000${i}` : `v:${voters[i]}`);
  const count = new Map<string, number>();
  for (let i = 0; i < N; i++) count.set(key(i), (count.get(key(i)) ?? 0) + 1);
  const sorted = [...count.values()].sort((a, b) => a - b);
  const V = sorted.length;
  const weights = new Float64Array(N).fill(1);
  if (V === 0 || sorted[V - 1]! <= cap * N) return { weights, level: null, equalised: false };
  let level: number | null = null;
  let uncappedSum = N - sorted[V - 1]!;
  for (let j = 1; j <= V; j++) {
    // The j largest voters capped at L; the others keep their counts.
    if (1 - cap * j <= 0) break;
    const L = (cap * uncappedSum) / (1 - cap * j);
    const largestUncapped = j < V ? sorted[V - j - 1]! : 0;
    if (L > 0 && largestUncapped <= L && L <= sorted[V - j]!) {
      level = L;
      break;
    }
    if (j < V) uncappedSum -= sorted[V - j - 1]!;
  }
  let equalised = false;
  if (level === null) {
    // Infeasible (fewer than 1/cap voters): every voter gets the smallest voter's total.
    level = sorted[0]!;
    equalised = true;
  }
  for (let i = 0; i < N; i++) {
    const n = count.get(key(i))!;
    if (equalised || n > level) weights[i] = level / n;
  }
  return { weights, level, equalised };
}

interface Design {
  M: number;
  S: number;
  a: Int32Array;
  b: Int32Array;
  y: Float64Array;
  w: Float64Array;
  /** Row-major N × S standardised style differences (empty when S = 0). */
  x: Float64Array;
}

/** Sums rows with the same (a, b) pair when there are no style features (same likelihood, far fewer rows). */
function collapse(d: Design, mult: Float64Array | null): Design {
  const N = d.a.length;
  if (d.S > 0) {
    if (!mult) return d;
    const w = new Float64Array(N);
    for (let i = 0; i < N; i++) w[i] = d.w[i]! * mult[i]!;
    return { ...d, w };
  }
  const idx = new Map<number, number>();
  const a: number[] = [];
  const b: number[] = [];
  const wy: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < N; i++) {
    const wi = d.w[i]! * (mult ? mult[i]! : 1);
    if (wi === 0) continue;
    const k = d.a[i]! * d.M + d.b[i]!;
    let r = idx.get(k);
    if (r === undefined) {
      r = a.length;
      idx.set(k, r);
      a.push(d.a[i]!);
      b.push(d.b[i]!);
      wy.push(0);
      w.push(0);
    }
    wy[r]! += wi * d.y[i]!;
    w[r]! += wi;
  }
  return { M: d.M, S: 0, a: Int32Array.from(a), b: Int32Array.from(b), y: Float64Array.from(wy.map((v, r) => v / w[r]!)), w: Float64Array.from(w), x: new Float64Array(0) };
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** ln σ(z), stable for large |z|. */
function logSigmoid(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}

function penalisedLogLik(d: Design, theta: Float64Array, ridge: number): number {
  const { M, S } = d;
  let ll = 0;
  for (let i = 0; i < d.a.length; i++) {
    let z = theta[d.a[i]!]! - theta[d.b[i]!]!;
    for (let s = 0; s < S; s++) z += theta[M + s]! * d.x[i * S + s]!;
    ll += d.w[i]! * (d.y[i]! * logSigmoid(z) + (1 - d.y[i]!) * logSigmoid(-z));
  }
  let pen = 0;
  for (let j = 0; j < theta.length; j++) pen += theta[j]! * theta[j]!;
  return ll - 0.5 * ridge * pen;
}

/** Solves A x = g in place for a symmetric positive definite A (P × P, row-major); returns x. */
function choleskySolve(A: Float64Array, g: Float64Array, P: number): Float64Array {
  for (let j = 0; j < P; j++) {
    let s = A[j * P + j]!;
    for (let k = 0; k < j; k++) s -= A[j * P + k]! * A[j * P + k]!;
    if (!(s > 0)) throw new Error('Bradley–Terry: Hessian is not positive definite');
    const l = Math.sqrt(s);
    A[j * P + j] = l;
    for (let i = j + 1; i < P; i++) {
      let t = A[i * P + j]!;
      for (let k = 0; k < j; k++) t -= A[i * P + k]! * A[j * P + k]!;
      A[i * P + j] = t / l;
    }
  }
  const x = Float64Array.from(g);
  for (let i = 0; i < P; i++) {
    let t = x[i]!;
    for (let k = 0; k < i; k++) t -= A[i * P + k]! * x[k]!;
    x[i] = t / A[i * P + i]!;
  }
  for (let i = P - 1; i >= 0; i--) {
    let t = x[i]!;
    for (let k = i + 1; k < P; k++) t -= A[k * P + i]! * x[k]!;
    x[i] = t / A[i * P + i]!;
  }
  return x;
}

/** Newton's method with step halving on the penalised log-likelihood. Returns θ = [β (M), γ (S)]. */
function newton(d: Design, ridge: number, init?: Float64Array): Float64Array {
  const { M, S } = d;
  const P = M + S;
  let theta = init ? Float64Array.from(init) : new Float64Array(P);
  let ll = penalisedLogLik(d, theta, ridge);
  const g = new Float64Array(P);
  const H = new Float64Array(P * P);
  const xi = new Float64Array(S);
  for (let iter = 0; iter < 100; iter++) {
    g.fill(0);
    H.fill(0);
    for (let i = 0; i < d.a.length; i++) {
      const a = d.a[i]!;
      const b = d.b[i]!;
      let z = theta[a]! - theta[b]!;
      for (let s = 0; s < S; s++) {
        xi[s] = d.x[i * S + s]!;
        z += theta[M + s]! * xi[s]!;
      }
      const p = sigmoid(z);
      const r = d.w[i]! * (d.y[i]! - p);
      const h = d.w[i]! * p * (1 - p);
      g[a]! += r;
      g[b]! -= r;
      H[a * P + a]! += h;
      H[b * P + b]! += h;
      H[a * P + b]! -= h;
      H[b * P + a]! -= h;
      for (let s = 0; s < S; s++) {
        const c = M + s;
        g[c]! += r * xi[s]!;
        H[a * P + c]! += h * xi[s]!;
        H[c * P + a]! += h * xi[s]!;
        H[b * P + c]! -= h * xi[s]!;
        H[c * P + b]! -= h * xi[s]!;
        for (let t = 0; t < S; t++) H[c * P + M + t]! += h * xi[s]! * xi[t]!;
      }
    }
    for (let j = 0; j < P; j++) {
      g[j]! -= ridge * theta[j]!;
      H[j * P + j]! += ridge;
    }
    const step = choleskySolve(H, g, P);
    let t = 1;
    let next = theta;
    let nextLl = ll;
    for (let k = 0; k < 40; k++) {
      const cand = new Float64Array(P);
      for (let j = 0; j < P; j++) cand[j] = theta[j]! + t * step[j]!;
      const cl = penalisedLogLik(d, cand, ridge);
      if (cl >= ll - 1e-12 * Math.abs(ll)) {
        next = cand;
        nextLl = cl;
        break;
      }
      t /= 2;
    }
    let maxStep = 0;
    for (let j = 0; j < P; j++) maxStep = Math.max(maxStep, Math.abs(next[j]! - theta[j]!));
    theta = next;
    ll = nextLl;
    // 1e-8 on the logit scale is 2e-6 rating points; a tighter bound only meets
    // rounding noise (steps of ~1e-10 that no longer change the likelihood).
    if (maxStep < 1e-8) break;
  }
  return theta;
}

function toRatings(theta: Float64Array, M: number, anchorIndex: number | null, anchorRating: number, present: Uint8Array | null, out: Float64Array, outOffset: number, stride: number): void {
  let ref = 0;
  if (anchorIndex === null) {
    let n = 0;
    for (let m = 0; m < M; m++) {
      if (present && !present[m]) continue;
      ref += theta[m]!;
      n++;
    }
    ref /= Math.max(1, n);
  } else {
    ref = theta[anchorIndex]!;
  }
  for (let m = 0; m < M; m++) out[m * stride + outOffset] = present && !present[m] ? Number.NaN : anchorRating + ELO * (theta[m]! - ref);
}

/** Fits Bradley–Terry ratings (plain and, with `style`, style-controlled), with optional bootstrap intervals. */
export function fitBradleyTerry(battles: readonly Battle[], opts: BradleyTerryOptions = {}): BradleyTerryResult {
  const bothBad = opts.bothBad ?? 'tie';
  const ridge = opts.ridge ?? 1e-6;
  const anchorRating = opts.anchorRating ?? 1000;
  const B = opts.B ?? 0;
  const level = opts.level ?? 0.95;
  const seed = opts.seed ?? 1;
  if (!(ridge > 0)) throw badRequest(`ridge must be > 0, got ${ridge}`);
  if (!(Number.isInteger(B) && B >= 0)) throw badRequest(`B must be an integer >= 0, got ${B}`);
  if (!(level > 0 && level < 1)) throw badRequest(`confidence level must be in (0, 1), got ${level}`);

  const kept: Battle[] = [];
  for (const bt of battles) {
    if (typeof bt.a !== 'string' || typeof bt.b !== 'string' || bt.a === bt.b) throw badRequest(`a battle needs two different models, got ${JSON.stringify(bt.a)} and ${JSON.stringify(bt.b)}`);
    if (!['a', 'b', 'tie', 'both_bad'].includes(bt.outcome)) throw badRequest(`unknown battle outcome ${JSON.stringify(bt.outcome)}`);
    if (bt.outcome === 'both_bad' && bothBad === 'drop') continue;
    if (opts.style && (!bt.styleA || !bt.styleB)) throw badRequest('style control needs styleA and styleB on every battle');
    kept.push(bt);
  }
  const N = kept.length;
  if (N === 0) throw badRequest('no battles to fit');
  const models = [...new Set(kept.flatMap((bt) => [bt.a, bt.b]))].sort();
  const M = models.length;
  const index = new Map(models.map((m, i) => [m, i]));
  let anchorIndex: number | null = null;
  if (opts.anchor !== undefined && opts.anchor !== 'mean') {
    const i = index.get(opts.anchor.model);
    if (i === undefined) throw badRequest(`anchor model ${JSON.stringify(opts.anchor.model)} has no battles`);
    anchorIndex = i;
  }

  const a = new Int32Array(N);
  const b = new Int32Array(N);
  const y = new Float64Array(N);
  const battlesPer = new Int32Array(M);
  for (let i = 0; i < N; i++) {
    const bt = kept[i]!;
    a[i] = index.get(bt.a)!;
    b[i] = index.get(bt.b)!;
    y[i] = bt.outcome === 'a' ? 1 : bt.outcome === 'b' ? 0 : 0.5;
    battlesPer[a[i]!]!++;
    battlesPer[b[i]!]!++;
  }
  let w: Float64Array = new Float64Array(N).fill(1);
  const cappedVoters: BradleyTerryResult['cappedVoters'] = [];
  if (opts.voterCap !== undefined) {
    const cap = voterCapWeights(
      kept.map((bt) => bt.voter),
      opts.voterCap,
    );
    w = cap.weights;
    const total = w.reduce((s, v) => s + v, 0);
    const per = new Map<string, { n: number; w: number }>();
    kept.forEach((bt, i) => {
      if (bt.voter === undefined || w[i] === 1) return;
      const e = per.get(bt.voter) ?? { n: 0, w: 0 };
      e.n++;
      e.w += w[i]!;
      per.set(bt.voter, e);
    });
    for (const [voter, e] of per) cappedVoters.push({ voter, battles: e.n, shareBefore: e.n / N, shareAfter: e.w / total });
    cappedVoters.sort((p, q) => q.battles - p.battles || (p.voter < q.voter ? -1 : 1));
  }

  const plainDesign: Design = { M, S: 0, a, b, y, w, x: new Float64Array(0) };
  let styleDesign: Design | null = null;
  const featureNames: string[] = [];
  if (opts.style) {
    const cols: Float64Array[] = [];
    for (const f of FEATURES) {
      const col = new Float64Array(N);
      let ss = 0;
      for (let i = 0; i < N; i++) {
        const fa = kept[i]!.styleA![f] ?? 0;
        const fb = kept[i]!.styleB![f] ?? 0;
        if (!(Number.isFinite(fa) && Number.isFinite(fb) && fa >= 0 && fb >= 0)) throw badRequest(`style feature ${f} must be a finite number >= 0`);
        col[i] = fa + fb > 0 ? (fa - fb) / (fa + fb) : 0;
        ss += col[i]! * col[i]!;
      }
      const rms = Math.sqrt(ss / N);
      if (rms === 0) continue; // never differs: no information, and it would be unidentified
      for (let i = 0; i < N; i++) col[i]! /= rms;
      cols.push(col);
      featureNames.push(f);
    }
    const S = cols.length;
    const x = new Float64Array(N * S);
    for (let i = 0; i < N; i++) for (let s = 0; s < S; s++) x[i * S + s] = cols[s]![i]!;
    styleDesign = { M, S, a, b, y, w, x };
  }

  const fits: { design: Design; theta: Float64Array }[] = [{ design: plainDesign, theta: newton(collapse(plainDesign, null), ridge) }];
  if (styleDesign) fits.push({ design: styleDesign, theta: newton(styleDesign, ridge) });

  const results: RatingFit[] = fits.map(({ design, theta }) => {
    const point = new Float64Array(M);
    toRatings(theta, M, anchorIndex, anchorRating, null, point, 0, 1);
    let reps: Float64Array | null = null;
    let coefReps: Float64Array | null = null;
    if (B > 0) {
      reps = new Float64Array(M * B);
      coefReps = new Float64Array(design.S * B);
      // Same seed for both fits: the plain and the style-controlled replicate b use the same resample.
      const rng = new Rng(seed);
      const mult = new Float64Array(N);
      const present = new Uint8Array(M);
      for (let r = 0; r < B; r++) {
        mult.fill(0);
        for (let k = 0; k < N; k++) mult[rng.nextInt(N)]!++;
        present.fill(0);
        for (let i = 0; i < N; i++) {
          if (mult[i]! > 0) {
            present[a[i]!] = 1;
            present[b[i]!] = 1;
          }
        }
        const th = newton(collapse(design, mult), ridge, theta);
        toRatings(th, M, anchorIndex !== null && !present[anchorIndex] ? null : anchorIndex, anchorRating, present, reps, r, B);
        for (let s = 0; s < design.S; s++) coefReps[s * B + r] = th[M + s]!;
      }
    }
    const alpha = 1 - level;
    const bounds = (arr: Float64Array, i: number): [number | null, number | null] => {
      const mine = arr.slice(i * B, (i + 1) * B).filter((v) => v === v).sort();
      if (mine.length === 0) return [null, null];
      return [quantileSorted(mine, alpha / 2), quantileSorted(mine, 1 - alpha / 2)];
    };
    const rankIv = reps ? rankIntervalsFromReplicates(reps, point, M, B, { higherIsBetter: true, level }) : null;
    const pointRanks = competitionRanks(point, true, new Int32Array(M));
    const ratings: Rating[] = models.map((model, m) => {
      const [lo, hi] = reps ? bounds(reps, m) : [null, null];
      return { model, rating: point[m]!, lo, hi, rank: pointRanks[m]!, rankLo: rankIv ? rankIv[m]!.lo : null, rankHi: rankIv ? rankIv[m]!.hi : null, battles: battlesPer[m]! };
    });
    ratings.sort((p, q) => q.rating - p.rating || (p.model < q.model ? -1 : 1));
    const coefficients = featureNames.map((feature, s) => {
      const [lo, hi] = coefReps ? bounds(coefReps, s) : [null, null];
      return { feature, value: theta[M + s]!, lo, hi };
    });
    return { ratings, coefficients };
  });

  const parts = [`Bradley–Terry (Newton, ridge ${ridge})`, `ties = ½ win each`, `both bad: ${bothBad === 'tie' ? 'tie' : 'dropped'}`];
  if (opts.voterCap !== undefined) parts.push(`voter cap ${opts.voterCap}`);
  if (B > 0) parts.push(`${Number((level * 100).toFixed(2))}% percentile bootstrap over battles, B = ${B}, seed ${seed}`);
  return { models, plain: results[0]!, styleControlled: results[1] ?? null, battlesUsed: N, battlesDropped: battles.length - N, cappedVoters, label: parts.join('; ') };
}
