/**
 * Pareto view: which models are not dominated on 2 or 3 chosen objectives
 * (e.g. quality ↑, cost ↓, latency ↓).
 *
 * Point p dominates q when p is at least as good as q on every objective and
 * strictly better on at least one. The front is the set of points nobody
 * dominates. Consequences, on purpose: exact duplicates do not dominate each
 * other (both stay on the front, or both off it); a point tied with a front
 * point on one objective and worse on another is dominated.
 *
 * A point with a missing value (null, undefined, NaN, ±Infinity) on any chosen
 * objective is left out of the comparison and listed in `excluded` with the
 * objectives it lacks, so a page can say why a model is not shown.
 *
 * Cost: 2 objectives O(n log n) (sort, then one sweep); 3 objectives O(n²)
 * pairwise (fine for n ≤ 5,000). Layers (front numbers) use Deb's fast
 * non-dominated sort, O(k·n²).
 */
import { badRequest } from '../../core/errors.js';

export type Direction = 'max' | 'min';

export interface Objective {
  name: string;
  direction: Direction;
}

export interface ParetoPoint {
  id: string;
  /** One value per objective, in the order of `objectives`. */
  values: readonly (number | null | undefined)[];
}

export interface ParetoResult {
  /** Ids on the front, in input order. */
  front: string[];
  /** Ids of compared points that are dominated, in input order. */
  dominated: string[];
  /** Points left out, with the objectives they lack. */
  excluded: { id: string; missing: string[] }[];
  /** Per input id: true on the front, false dominated, null excluded. */
  flags: Map<string, boolean | null>;
}

interface Prepared {
  ids: string[];
  /** Values of compared points, all turned into "higher is better", point-major (k per point). */
  vals: Float64Array;
  k: number;
  /** Index into the input for each compared point. */
  input: number[];
  excluded: { id: string; missing: string[] }[];
}

function prepare(points: readonly ParetoPoint[], objectives: readonly Objective[]): Prepared {
  const k = objectives.length;
  if (k < 2 || k > 3) throw badRequest(`a Pareto view takes 2 or 3 objectives, got ${k}`);
  for (const o of objectives) if (o.direction !== 'max' && o.direction !== 'min') throw badRequest(`objective ${o.name}: direction must be "max" or "min"`);
  const seen = new Set<string>();
  const vals: number[] = [];
  const input: number[] = [];
  const excluded: { id: string; missing: string[] }[] = [];
  points.forEach((p, i) => {
    if (seen.has(p.id)) throw badRequest(`duplicate id ${JSON.stringify(p.id)} in Pareto input`);
    seen.add(p.id);
    if (p.values.length !== k) throw badRequest(`point ${p.id}: ${p.values.length} values for ${k} objectives`);
    const missing = objectives.filter((_, j) => {
      const v = p.values[j];
      return typeof v !== 'number' || !Number.isFinite(v);
    });
    if (missing.length > 0) {
      excluded.push({ id: p.id, missing: missing.map((o) => o.name) });
      return;
    }
    input.push(i);
    for (let j = 0; j < k; j++) vals.push(objectives[j]!.direction === 'max' ? (p.values[j] as number) : -(p.values[j] as number));
  });
  return { ids: points.map((p) => p.id), vals: Float64Array.from(vals), k, input, excluded };
}

function dominates(v: Float64Array, k: number, a: number, b: number): boolean {
  let strict = false;
  for (let j = 0; j < k; j++) {
    const x = v[a * k + j]!;
    const y = v[b * k + j]!;
    if (x < y) return false;
    if (x > y) strict = true;
  }
  return strict;
}

/** Non-dominated mask over the compared points (index = compared point). */
function frontMask(v: Float64Array, k: number, n: number): Uint8Array {
  const onFront = new Uint8Array(n);
  if (k === 2) {
    // Sort by x desc, then y desc. A point (x, y) is dominated iff some point with a
    // larger x has y' >= y, or a point with the same x has y' > y. Sweep groups of equal x.
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => v[b * 2]! - v[a * 2]! || v[b * 2 + 1]! - v[a * 2 + 1]!);
    let bestBefore = -Infinity;
    for (let s = 0; s < n; ) {
      const x = v[order[s]! * 2]!;
      const groupMaxY = v[order[s]! * 2 + 1]!; // first in the group has the largest y
      let e = s;
      while (e < n && v[order[e]! * 2] === x) {
        const y = v[order[e]! * 2 + 1]!;
        if (y === groupMaxY && y > bestBefore) onFront[order[e]!] = 1;
        e++;
      }
      if (groupMaxY > bestBefore) bestBefore = groupMaxY;
      s = e;
    }
    return onFront;
  }
  for (let a = 0; a < n; a++) {
    let dom = false;
    for (let b = 0; b < n && !dom; b++) if (b !== a && dominates(v, k, b, a)) dom = true;
    onFront[a] = dom ? 0 : 1;
  }
  return onFront;
}

/** The Pareto front of `points` over 2 or 3 objectives. */
export function paretoFront(points: readonly ParetoPoint[], objectives: readonly Objective[]): ParetoResult {
  const p = prepare(points, objectives);
  const n = p.input.length;
  const mask = frontMask(p.vals, p.k, n);
  const flags = new Map<string, boolean | null>();
  for (const e of p.excluded) flags.set(e.id, null);
  for (let c = 0; c < n; c++) flags.set(p.ids[p.input[c]!]!, mask[c] === 1);
  const front: string[] = [];
  const dominated: string[] = [];
  for (const id of p.ids) {
    const f = flags.get(id);
    if (f === true) front.push(id);
    else if (f === false) dominated.push(id);
  }
  return { front, dominated, excluded: p.excluded, flags };
}

/**
 * Pareto layers: layer 1 is the front, layer 2 the front of what remains, and
 * so on. Returns the layer per id (null for excluded points) and the excluded list.
 */
export function paretoLayers(points: readonly ParetoPoint[], objectives: readonly Objective[]): { layer: Map<string, number | null>; excluded: { id: string; missing: string[] }[] } {
  const p = prepare(points, objectives);
  const n = p.input.length;
  const k = p.k;
  // Deb et al. (NSGA-II) fast non-dominated sort.
  const dominatedBy = new Int32Array(n);
  const dominatesList: number[][] = Array.from({ length: n }, () => []);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      if (dominates(p.vals, k, a, b)) {
        dominatesList[a]!.push(b);
        dominatedBy[b]!++;
      } else if (dominates(p.vals, k, b, a)) {
        dominatesList[b]!.push(a);
        dominatedBy[a]!++;
      }
    }
  }
  const layerOf = new Int32Array(n);
  let current: number[] = [];
  for (let a = 0; a < n; a++) if (dominatedBy[a] === 0) current.push(a);
  let layer = 1;
  while (current.length > 0) {
    const next: number[] = [];
    for (const a of current) {
      layerOf[a] = layer;
      for (const b of dominatesList[a]!) if (--dominatedBy[b]! === 0) next.push(b);
    }
    current = next;
    layer++;
  }
  const out = new Map<string, number | null>();
  for (const e of p.excluded) out.set(e.id, null);
  for (let c = 0; c < n; c++) out.set(p.ids[p.input[c]!]!, layerOf[c]!);
  return { layer: out, excluded: p.excluded };
}
