import type { Actor } from '../auth/actor.js';
import { can } from '../auth/policy.js';
import type { LineageRelation, ModelLineageTable } from '../db/schema-lineage.js';
import type { Hub } from './hub.js';
import { RELATIONS } from './lineage-index.js';
import type { RepoRow } from './repos.js';

/**
 * Reads of the model tree. Edges name their base by key (see migration
 * 0008); a key is resolved here to the model that bears the name now, or
 * that bore it before a rename (`repo_redirects`). A key that resolves to
 * nothing is an external reference (a repo on the Hugging Face Hub, or on the
 * hub a URL named). Every repo in an answer is one the actor may read: a
 * private relative is left out, and not counted, for everyone else; the walk
 * does not go past it either, since what lies beyond is its card's content.
 */

export { RELATIONS };

/** How far up or down a walk goes: real families are a handful of levels deep; a cycle stops at visited nodes anyway. */
export const MAX_DEPTH = 16;
/** Largest family `fullTree` returns; beyond it the answer says `truncated`. */
export const MAX_NODES = 2000;
/** Children listed per relation in `modelTree` (the counts give the totals; `childrenPage` pages). */
export const CHILDREN_PREVIEW = 20;
const CHUNK = 500;

export interface LineageRepo {
  /** `namespace/name` now */
  id: string;
  private: boolean;
  downloads: number;
  likes: number;
  lastModified: string;
}

export interface BaseModel {
  /** `namespace/name`: the model's name now, or the id as the card wrote it for an external one */
  id: string;
  relation: LineageRelation;
  external: boolean;
  /** origin of the other hub, when the card named the base by URL */
  hub?: string;
  private?: boolean;
}

export interface Ancestor extends BaseModel {
  /** 1 for a direct base, 2 for its base, … */
  depth: number;
  /** the model whose base this is */
  child: string;
}

export interface ModelTree {
  id: string;
  baseModels: BaseModel[];
  ancestors: Ancestor[];
  children: Record<LineageRelation, LineageRepo[]>;
  counts: Record<LineageRelation, number>;
}

export interface TreeNode {
  /** a model's `namespace/name`, or an external base's id (prefixed with its hub when it has one) */
  id: string;
  external: boolean;
  hub?: string;
  private?: boolean;
  /** distance from the family's roots */
  depth: number;
}

export interface FullTree {
  id: string;
  roots: string[];
  nodes: TreeNode[];
  edges: { base: string; child: string; relation: LineageRelation }[];
  truncated: boolean;
}

/** What the tree needs of a repo: a narrow select, since a popular base has thousands of children. */
type LineageRow = Pick<RepoRow, 'id' | 'type' | 'namespace' | 'name' | 'full_name_lc' | 'private' | 'downloads' | 'likes' | 'last_modified'>;
const ROW_COLUMNS = ['repos.id', 'repos.type', 'repos.namespace', 'repos.name', 'repos.full_name_lc', 'repos.private', 'repos.downloads', 'repos.likes', 'repos.last_modified'] as const;

const fullName = (r: LineageRow): string => `${r.namespace}/${r.name}`;
const isExternalKey = (key: string): boolean => key.includes('://');
const readable = (actor: Actor, r: LineageRow): boolean => can(actor, 'read', { type: r.type, namespace: r.namespace, name: r.name, private: r.private === 1 });

function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

function repoSummary(r: LineageRow): LineageRepo {
  return { id: fullName(r), private: r.private === 1, downloads: r.downloads, likes: r.likes, lastModified: r.last_modified };
}

/** The models the keys name now (directly, or through the redirect a rename left). */
async function resolveKeys(hub: Hub, keys: string[]): Promise<Map<string, LineageRow>> {
  const out = new Map<string, LineageRow>();
  const local = [...new Set(keys.filter((k) => !isExternalKey(k)))];
  for (const part of chunks(local)) {
    const rows = await hub.db.selectFrom('repos').select(ROW_COLUMNS).where('type', '=', 'model').where('full_name_lc', 'in', part).execute();
    for (const r of rows) out.set(r.full_name_lc, r);
  }
  const missing = local.filter((k) => !out.has(k));
  for (const part of chunks(missing)) {
    const rows = await hub.db
      .selectFrom('repo_redirects')
      .innerJoin('repos', 'repos.id', 'repo_redirects.repo_id')
      .select(ROW_COLUMNS)
      .select('repo_redirects.full_name_lc as old_name')
      .where('repo_redirects.type', '=', 'model')
      .where('repo_redirects.full_name_lc', 'in', part)
      .execute();
    for (const { old_name, ...r } of rows) out.set(old_name, r);
  }
  return out;
}

/** Every key that names each repo: its name and the names it had before renames. */
async function keysOf(hub: Hub, rows: LineageRow[]): Promise<Map<string, LineageRow>> {
  const out = new Map<string, LineageRow>();
  for (const r of rows) out.set(r.full_name_lc, r);
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const part of chunks([...byId.keys()])) {
    const redirects = await hub.db.selectFrom('repo_redirects').select(['repo_id', 'full_name_lc']).where('type', '=', 'model').where('repo_id', 'in', part).execute();
    for (const x of redirects) out.set(x.full_name_lc, byId.get(x.repo_id)!);
  }
  return out;
}

/** An edge as stored (migration 0008). */
type ParentEdge = ModelLineageTable;

async function parentEdges(hub: Hub, childIds: string[]): Promise<ParentEdge[]> {
  const out: ParentEdge[] = [];
  for (const part of chunks([...new Set(childIds)])) {
    out.push(...(await hub.db.selectFrom('model_lineage').selectAll().where('child_repo_id', 'in', part).orderBy('child_repo_id').orderBy('position').execute()));
  }
  return out;
}

/** Models whose cards name one of the keys, readable by the actor, most downloaded first. */
async function childEdges(hub: Hub, actor: Actor, keys: string[], relation?: LineageRelation): Promise<{ key: string; relation: LineageRelation; row: LineageRow }[]> {
  const out: { key: string; relation: LineageRelation; row: LineageRow }[] = [];
  for (const part of chunks([...new Set(keys)])) {
    let q = hub.db
      .selectFrom('model_lineage')
      .innerJoin('repos', 'repos.id', 'model_lineage.child_repo_id')
      .select(ROW_COLUMNS)
      .select(['model_lineage.base_key as edge_key', 'model_lineage.relation as edge_relation'])
      .where('model_lineage.base_key', 'in', part);
    if (relation) q = q.where('model_lineage.relation', '=', relation);
    for (const { edge_key, edge_relation, ...row } of await q.execute()) {
      if (readable(actor, row)) out.push({ key: edge_key, relation: edge_relation, row });
    }
  }
  out.sort((a, b) => b.row.downloads - a.row.downloads || b.row.likes - a.row.likes || (a.row.full_name_lc < b.row.full_name_lc ? -1 : a.row.full_name_lc > b.row.full_name_lc ? 1 : 0));
  return out;
}

function externalBase(e: ParentEdge): BaseModel {
  return { id: e.base_name, relation: e.relation, external: true, ...(e.base_hub ? { hub: e.base_hub } : {}) };
}

/** A repo's direct bases as the actor may see them, in card order, with the rows of the local ones. */
async function basesWithRows(hub: Hub, actor: Actor, edges: ParentEdge[]): Promise<{ edge: ParentEdge; base: BaseModel; row?: LineageRow }[]> {
  const resolved = await resolveKeys(hub, edges.map((e) => e.base_key));
  const out: { edge: ParentEdge; base: BaseModel; row?: LineageRow }[] = [];
  for (const e of edges) {
    const row = resolved.get(e.base_key);
    if (!row) out.push({ edge: e, base: externalBase(e) });
    else if (readable(actor, row)) out.push({ edge: e, base: { id: fullName(row), relation: e.relation, external: false, private: row.private === 1 }, row });
  }
  return out;
}

/** The direct bases of a model. */
export async function baseModels(hub: Hub, actor: Actor, row: LineageRow): Promise<BaseModel[]> {
  return (await basesWithRows(hub, actor, await parentEdges(hub, [row.id]))).map((b) => b.base);
}

interface Walk {
  ancestors: Ancestor[];
  /** visited models without a visible base: where the family starts */
  rootRows: LineageRow[];
  /** external bases met on the way, by edge key */
  rootExternals: Map<string, BaseModel>;
}

/**
 * Ancestors, nearest first: walks up level by level, each model once (so a
 * cycle ends), at most `MAX_DEPTH` levels, and notes the roots of the family.
 */
async function walkUp(hub: Hub, actor: Actor, row: LineageRow): Promise<Walk> {
  const ancestors: Ancestor[] = [];
  const seen = new Set<string>([row.id]);
  const rootRows: LineageRow[] = [];
  const rootExternals = new Map<string, BaseModel>();
  let frontier: LineageRow[] = [row];
  for (let depth = 1; frontier.length && depth <= MAX_DEPTH; depth++) {
    const bases = await basesWithRows(hub, actor, await parentEdges(hub, frontier.map((r) => r.id)));
    const next: LineageRow[] = [];
    for (const r of frontier) {
      const mine = bases.filter((x) => x.edge.child_repo_id === r.id);
      if (mine.length === 0) rootRows.push(r);
      for (const b of mine) {
        if (b.row) {
          if (seen.has(b.row.id)) continue;
          seen.add(b.row.id);
          next.push(b.row);
        } else {
          if (rootExternals.has(b.edge.base_key)) continue;
          rootExternals.set(b.edge.base_key, b.base);
        }
        ancestors.push({ ...b.base, depth, child: fullName(r) });
      }
    }
    frontier = next;
  }
  return { ancestors, rootRows, rootExternals };
}

export async function ancestorsOf(hub: Hub, actor: Actor, row: LineageRow): Promise<Ancestor[]> {
  return (await walkUp(hub, actor, row)).ancestors;
}

const emptyByRelation = <T>(make: () => T): Record<LineageRelation, T> =>
  ({ adapter: make(), finetune: make(), merge: make(), quantized: make() });

/** The direct children of a model readable by the actor, by relation. */
async function childrenOf(hub: Hub, actor: Actor, row: LineageRow, relation?: LineageRelation): Promise<{ relation: LineageRelation; row: LineageRow }[]> {
  const keys = await keysOf(hub, [row]);
  const seen = new Set<string>([row.id]);
  return (await childEdges(hub, actor, [...keys.keys()], relation)).filter((c) => !seen.has(c.row.id) && seen.add(c.row.id));
}

/** The model tree around one model: bases, ancestors, children (first few of each relation) and counts. */
export async function modelTree(hub: Hub, actor: Actor, row: LineageRow): Promise<ModelTree> {
  const { ancestors } = await walkUp(hub, actor, row);
  const children = emptyByRelation<LineageRepo[]>(() => []);
  const counts = emptyByRelation(() => 0);
  for (const c of await childrenOf(hub, actor, row)) {
    counts[c.relation]++;
    if (children[c.relation].length < CHILDREN_PREVIEW) children[c.relation].push(repoSummary(c.row));
  }
  return { id: fullName(row), baseModels: ancestors.filter((a) => a.depth === 1).map(({ depth: _d, child: _c, ...b }) => b), ancestors, children, counts };
}

/**
 * Counts only, for the card page's box: public children are counted by the
 * database; private ones, usually few, are fetched and checked one by one.
 */
export async function childCounts(hub: Hub, actor: Actor, row: LineageRow): Promise<Record<LineageRelation, number>> {
  const counts = emptyByRelation(() => 0);
  const keys = [...(await keysOf(hub, [row])).keys()];
  const publicCounts = await hub.db
    .selectFrom('model_lineage')
    .innerJoin('repos', 'repos.id', 'model_lineage.child_repo_id')
    // distinct: a card may name a base by its old and its new name.
    .select(['model_lineage.relation as relation', (eb) => eb.fn.count<number>('repos.id').distinct().as('n')])
    .where('model_lineage.base_key', 'in', keys)
    .where('repos.private', '=', 0)
    .where('repos.id', '!=', row.id)
    .groupBy('model_lineage.relation')
    .execute();
  for (const c of publicCounts) counts[c.relation] += Number(c.n);
  const privates = await hub.db
    .selectFrom('model_lineage')
    .innerJoin('repos', 'repos.id', 'model_lineage.child_repo_id')
    .select([...ROW_COLUMNS, 'model_lineage.relation as edge_relation'])
    .where('model_lineage.base_key', 'in', keys)
    .where('repos.private', '=', 1)
    .where('repos.id', '!=', row.id)
    .execute();
  const seen = new Set<string>();
  for (const { edge_relation, ...r } of privates) {
    if (seen.has(r.id) || !readable(actor, r)) continue;
    seen.add(r.id);
    counts[edge_relation]++;
  }
  return counts;
}

/** One page (0-based) of a model's children, of one relation or all. */
export async function childrenPage(
  hub: Hub, actor: Actor, row: LineageRow, relation: LineageRelation | undefined, page: number, pageSize: number,
): Promise<{ total: number; items: (LineageRepo & { relation: LineageRelation })[] }> {
  const all = await childrenOf(hub, actor, row, relation);
  return { total: all.length, items: all.slice(page * pageSize, (page + 1) * pageSize).map((c) => ({ ...repoSummary(c.row), relation: c.relation })) };
}

function nodeKey(b: { id: string; hub?: string; external: boolean }): string {
  return b.external && b.hub ? `${b.hub}/${b.id}` : b.id;
}

/**
 * The whole family of a model: from the roots of its ancestry down to every
 * descendant the actor may read, level by level, plus the other bases of
 * those models (a merge's second parent), so that every edge has both ends.
 */
export async function fullTree(hub: Hub, actor: Actor, row: LineageRow): Promise<FullTree> {
  const walk = await walkUp(hub, actor, row);
  const nodes = new Map<string, TreeNode>();
  const edges = new Map<string, FullTree['edges'][number]>();
  const rows = new Map<string, LineageRow>();
  const addEdge = (base: string, child: string, relation: LineageRelation): void => {
    edges.set(`${base}\n${child}`, { base, child, relation });
  };
  const addRow = (r: LineageRow, depth: number): boolean => {
    const id = fullName(r);
    if (nodes.has(id)) return false;
    nodes.set(id, { id, external: false, private: r.private === 1, depth });
    rows.set(id, r);
    return true;
  };
  // A cycle has no root: start from the model itself then.
  const rootRows = walk.rootRows.length || walk.rootExternals.size ? walk.rootRows : [row];
  // frontier: edge key → id of the node that children name by that key
  let frontier = new Map<string, string>();
  for (const [key, base] of walk.rootExternals) {
    const id = nodeKey(base);
    nodes.set(id, { id, external: true, ...(base.hub ? { hub: base.hub } : {}), depth: 0 });
    frontier.set(key, id);
  }
  const localRoots = rootRows.filter((r) => addRow(r, 0));
  for (const [key, r] of await keysOf(hub, localRoots)) frontier.set(key, fullName(r));
  const roots = [...nodes.keys()];
  let truncated = false;
  for (let depth = 1; frontier.size && depth <= MAX_DEPTH && !truncated; depth++) {
    const found = await childEdges(hub, actor, [...frontier.keys()]);
    const next: LineageRow[] = [];
    for (const c of found) {
      const base = frontier.get(c.key)!;
      const child = fullName(c.row);
      if (base === child) continue;
      if (!nodes.has(child)) {
        if (nodes.size >= MAX_NODES) {
          truncated = true;
          continue;
        }
        addRow(c.row, depth);
        next.push(c.row);
      }
      addEdge(base, child, c.relation);
    }
    frontier = new Map();
    for (const [key, r] of await keysOf(hub, next)) frontier.set(key, fullName(r));
  }
  // The other bases of the family's models, as leaves of the picture.
  const members = [...rows.values()];
  const depthOf = (id: string): number => nodes.get(id)?.depth ?? 0;
  const bases = await basesWithRows(hub, actor, await parentEdges(hub, members.map((r) => r.id)));
  const byId = new Map(members.map((r) => [r.id, fullName(r)]));
  for (const b of bases) {
    const child = byId.get(b.edge.child_repo_id)!;
    const key = nodeKey(b.base);
    if (!nodes.has(key)) {
      if (nodes.size >= MAX_NODES) {
        truncated = true;
        continue;
      }
      nodes.set(key, b.row ? { id: key, external: false, private: b.row.private === 1, depth: Math.max(0, depthOf(child) - 1) } : { id: key, external: true, ...(b.base.hub ? { hub: b.base.hub } : {}), depth: Math.max(0, depthOf(child) - 1) });
    }
    if (key !== child) addEdge(key, child, b.edge.relation);
  }
  return {
    id: fullName(row),
    roots,
    nodes: [...nodes.values()].sort((a, b) => a.depth - b.depth || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    edges: [...edges.values()].sort((a, b) => (a.base + a.child < b.base + b.child ? -1 : 1)),
    truncated,
  };
}
