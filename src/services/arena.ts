import { randomBytes, randomInt } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { can, canCreateIn, roleIn } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { canonicalNamespace } from './orgs.js';
import { slugify } from '../core/slug.js';
import { nowIso } from '../core/time.js';
import type { ArenaAnswersTable, ArenasTable } from '../db/schema-arena.js';
import { type Battle, type BradleyTerryResult, fitBradleyTerry, type StyleFeatures } from '../evals/stats/bradley-terry.js';
import { liveAnswer, liveModels } from './arena-live.js';
import { fileLines } from './evals.js';
import type { Hub } from './hub.js';
import { accessInfo, getRepo, type RepoRow } from './repos.js';
import { resolveRevision } from './revisions.js';

/**
 * The arena (docs/arena.md): pairwise, blind comparison of model answers.
 *
 * - An arena is owned by a user or an org (`{namespace}/{slug}`), public or
 *   private (visible only to those with a role in its namespace; to anyone
 *   else it does not exist, like a private repo).
 * - It is defined over a dataset repo on this hub holding a JSONL file (one
 *   prompt a line: `{id, prompt, outputs: {"ns/model": "answer", …}}`),
 *   pinned to the commit the revision named at creation. Prompts and answers
 *   are copied into the database then, so dealing a battle is two queries.
 * - A battle is dealt to one signed-in user; the models stay hidden until
 *   that user votes, once. Dealing a new battle drops the user's unvoted one
 *   (one open battle per user and arena is enough, and nobody can hoard
 *   battles to pick the ones they like).
 * - Guard rails: at most `votesPerMinute` votes per user and arena in any
 *   60 s (429 beyond), and in the ratings no voter carries more than
 *   `voterCap` of the total weight (bradley-terry.ts).
 */

export type ArenaRow = Selectable<ArenasTable>;

export const ARENA_FILE = 'battles.jsonl';
export const MAX_TITLE = 100;
export const MAX_PROMPTS = 20_000;
export const MAX_MODELS_PER_PROMPT = 64;
export const MAX_MODEL_NAME = 200;
export const MAX_PROMPT_ID = 200;
/** Default guard rails (an arena may set its own at creation). */
export const DEFAULT_VOTES_PER_MINUTE = 20;
export const DEFAULT_VOTER_CAP = 0.05;
/** Bootstrap resamples behind the intervals of a leaderboard. */
export const BOOTSTRAP = 200;
export const WINNERS = ['a', 'b', 'tie', 'both_bad'] as const;
export type Winner = (typeof WINNERS)[number];

export type Prompt = string | { role: string; content: string }[];

function notFound(name: string): HubError {
  return new HubError('NotFound', `Arena ${name} not found`);
}


export function canViewArena(actor: Actor, row: Pick<ArenaRow, 'private' | 'namespace'>): boolean {
  return row.private === 0 || roleIn(actor, row.namespace) !== undefined;
}

export function canEditArena(actor: Actor, row: Pick<ArenaRow, 'namespace'>): boolean {
  return canCreateIn(actor, row.namespace);
}

/**
 * Is the arena's dataset still readable by the actor? Its answers are copies
 * of the dataset's content: a dataset made private after the arena was
 * created takes the arena out of sight of those who cannot read it.
 */
function datasetReadable(actor: Actor, dataset: RepoRow | undefined): boolean {
  return dataset !== undefined && can(actor, 'read', accessInfo(dataset));
}

/** The arena `{namespace}/{slug}` as the actor may see it (a private one is missing to outsiders). */
export async function findArena(hub: Hub, actor: Actor, namespace: string, slug: string): Promise<ArenaRow> {
  const name = `${namespace}/${slug}`;
  const row = await hub.db.selectFrom('arenas').selectAll().where('name_lc', '=', name.toLowerCase()).executeTakeFirst();
  if (!row || !canViewArena(actor, row)) throw notFound(name);
  const dataset = await hub.db.selectFrom('repos').selectAll().where('id', '=', row.dataset_repo_id).executeTakeFirst();
  if (!datasetReadable(actor, dataset)) throw notFound(name);
  // A renamed dataset is followed (the arena holds its id).
  return { ...row, dataset: `${dataset!.namespace}/${dataset!.name}` };
}

/** Arenas the actor may see, newest first; `owner` narrows to some namespaces. */
export async function listArenas(hub: Hub, actor: Actor, owner: string[] = []): Promise<ArenaRow[]> {
  let q = hub.db.selectFrom('arenas').selectAll().orderBy('created_at', 'desc').orderBy('id');
  if (owner.length) q = q.where(sql<string>`lower(namespace)`, 'in', owner.map((o) => o.toLowerCase()));
  const mine = actor.kind === 'user' ? [actor.user.name, ...[...actor.memberships.values()].map((m) => m.name)].map((n) => n.toLowerCase()) : [];
  if (!(actor.kind === 'user' && actor.user.isAdmin)) {
    q = q.where((eb) => (mine.length ? eb.or([eb('private', '=', 0), eb(sql<string>`lower(namespace)`, 'in', mine)]) : eb('private', '=', 0)));
  }
  const rows = await q.limit(500).execute();
  const ids = [...new Set(rows.map((r) => r.dataset_repo_id))];
  const datasets = new Map<string, RepoRow>();
  if (ids.length) for (const d of await hub.db.selectFrom('repos').selectAll().where('id', 'in', ids).execute()) datasets.set(d.id, d);
  return rows
    .filter((r) => datasetReadable(actor, datasets.get(r.dataset_repo_id)))
    .map((r) => ({ ...r, dataset: `${datasets.get(r.dataset_repo_id)!.namespace}/${datasets.get(r.dataset_repo_id)!.name}` }));
}


function requireWriter(actor: Actor, what: string): asserts actor is Extract<Actor, { kind: 'user' }> {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', `You must be signed in to ${what}`);
  if (actor.token?.role === 'read') throw new HubError('Forbidden', `A read token cannot ${what}`);
}

/** Style features of an answer: its length and its Markdown (headers, list items, bold spans). */
export function styleOf(answer: string): StyleFeatures {
  let inFence = false;
  let headers = 0;
  let lists = 0;
  for (const line of answer.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) continue;
    if (/^ {0,3}#{1,6}(\s|$)/.test(line)) headers++;
    else if (/^\s*([-*+]|\d{1,9}[.)])\s+\S/.test(line)) lists++;
  }
  const bold = (answer.match(/\*\*[^*\n]+\*\*|__[^_\n]+__/g) ?? []).length;
  return { length: answer.length, headers, lists, bold };
}

function parsePrompt(v: unknown, where: string): Prompt {
  if (typeof v === 'string' && v.trim() !== '') return v;
  if (Array.isArray(v) && v.length > 0) {
    return v.map((m, i) => {
      const o = m as Record<string, unknown> | null;
      if (typeof o !== 'object' || o === null || typeof o.role !== 'string' || typeof o.content !== 'string') {
        throw new HubError('BadRequest', `${where}: prompt[${i}] must be {role, content} with string values`);
      }
      return { role: o.role, content: o.content };
    });
  }
  throw new HubError('BadRequest', `${where}: "prompt" must be a non-empty string or a list of chat messages`);
}

interface ParsedLine {
  id: string;
  prompt: Prompt;
  outputs: [string, string][];
}

function parseLine(line: string, where: string, live: boolean): ParsedLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new HubError('BadRequest', `${where} is not JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HubError('BadRequest', `${where} must be an object {id, prompt, outputs}`);
  const o = v as Record<string, unknown>;
  const id = typeof o.id === 'number' && Number.isInteger(o.id) ? String(o.id) : o.id;
  if (typeof id !== 'string' || id === '' || id.length > MAX_PROMPT_ID) throw new HubError('BadRequest', `${where}: "id" must be a non-empty string of at most ${MAX_PROMPT_ID} characters`);
  const prompt = parsePrompt(o.prompt, where);
  // A live arena only needs prompts: the answers come from the endpoints.
  if (live && (o.outputs === undefined || o.outputs === null)) return { id, prompt, outputs: [] };
  if (typeof o.outputs !== 'object' || o.outputs === null || Array.isArray(o.outputs)) throw new HubError('BadRequest', `${where}: "outputs" must be an object {"namespace/model": "answer"}`);
  const outputs: [string, string][] = [];
  for (const [model, answer] of Object.entries(o.outputs as Record<string, unknown>)) {
    if (!/^[^\s/]+\/[^\s/]+$/.test(model) || model.length > MAX_MODEL_NAME) throw new HubError('BadRequest', `${where}: model "${model.slice(0, 80)}" must be named "namespace/name"`);
    if (typeof answer !== 'string') throw new HubError('BadRequest', `${where}: the output of ${model} must be a string`);
    // An empty answer is no answer: that model sits this prompt out.
    if (answer.trim() !== '') outputs.push([model, answer]);
  }
  if (outputs.length > MAX_MODELS_PER_PROMPT) throw new HubError('BadRequest', `${where}: at most ${MAX_MODELS_PER_PROMPT} models per prompt`);
  return { id, prompt, outputs };
}

function bool(v: unknown, what: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new HubError('BadRequest', `${what} must be true or false`);
  return v;
}

function str(v: unknown, what: string, max: number): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) throw new HubError('BadRequest', `${what} must be a non-empty string of at most ${max} characters`);
  return v.trim();
}

export interface NewArena {
  namespace?: unknown;
  title?: unknown;
  slug?: unknown;
  dataset?: unknown;
  revision?: unknown;
  file?: unknown;
  private?: unknown;
  votesPerMinute?: unknown;
  voterCap?: unknown;
  live?: unknown;
}

/**
 * Creates an arena: reads the dataset's file at the revision (default: the
 * head), checks every line, and stores prompts and answers pinned to that
 * commit. A private dataset may only back a private arena of its own
 * namespace, so that nobody sees its answers through the arena who could not
 * read the dataset.
 */
export async function createArena(hub: Hub, actor: Actor, input: NewArena): Promise<ArenaRow> {
  requireWriter(actor, 'create an arena');
  const title = str(input.title, 'title', MAX_TITLE);
  if (!title) throw new HubError('BadRequest', 'title is required');
  const slugIn = str(input.slug, 'slug', 60);
  if (slugIn !== undefined && !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(slugIn)) throw new HubError('BadRequest', 'slug may hold lower-case letters, digits and inner dashes');
  const slug = slugIn ?? slugify(title, 'arena');
  const nsIn = input.namespace === undefined || input.namespace === null ? actor.user.name : input.namespace;
  if (typeof nsIn !== 'string' || !nsIn) throw new HubError('BadRequest', 'namespace must be a user or organization name');
  const namespace = await canonicalNamespace(hub.db, nsIn);
  if (!canCreateIn(actor, namespace)) throw new HubError('Forbidden', `You cannot create arenas in ${namespace}`);
  const isPrivate = bool(input.private, 'private') ?? false;
  const live = bool(input.live, 'live') ?? false;
  const file = str(input.file, 'file', 1000) ?? ARENA_FILE;
  const revision = str(input.revision, 'revision', 255) ?? 'HEAD';
  let votesPerMinute = DEFAULT_VOTES_PER_MINUTE;
  if (input.votesPerMinute !== undefined && input.votesPerMinute !== null) {
    const v = input.votesPerMinute;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 600) throw new HubError('BadRequest', 'votesPerMinute must be an integer from 1 to 600');
    votesPerMinute = v;
  }
  let voterCap = DEFAULT_VOTER_CAP;
  if (input.voterCap !== undefined && input.voterCap !== null) {
    const v = input.voterCap;
    if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw new HubError('BadRequest', 'voterCap must be a number in (0, 1]');
    voterCap = v;
  }
  const datasetId = str(input.dataset, 'dataset', 300);
  const parts = datasetId?.split('/') ?? [];
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new HubError('BadRequest', '"dataset" must be a dataset id "namespace/name"');
  const name = `${namespace}/${slug}`;
  const taken = await hub.db.selectFrom('arenas').select('id').where('name_lc', '=', name.toLowerCase()).executeTakeFirst();
  if (taken) throw new HubError('Conflict', `An arena named ${name} already exists`);

  const dataset = await getRepo(hub, actor, { type: 'dataset', namespace: parts[0], name: parts[1] }, 'content');
  if ((dataset.private || dataset.gated) && (!isPrivate || dataset.namespace.toLowerCase() !== namespace.toLowerCase())) {
    throw new HubError('BadRequest', `${dataset.namespace}/${dataset.name} is ${dataset.private ? 'private' : 'gated'}: it can only back a private arena owned by ${dataset.namespace}`);
  }
  const rev = await resolveRevision(hub, dataset, revision);

  // Read and check the whole file before writing anything.
  const prompts: { id: string; prompt: string; outputs: [string, string][] }[] = [];
  const seen = new Set<string>();
  const models = new Set<string>();
  let lineNo = 0;
  for await (const line of fileLines(hub, dataset, rev.tree, file)) {
    lineNo++;
    if (line.trim() === '') continue;
    const p = parseLine(line, `${file} line ${lineNo}`, live);
    if (seen.has(p.id)) throw new HubError('BadRequest', `${file} line ${lineNo}: prompt id "${p.id}" appears twice`);
    seen.add(p.id);
    if (seen.size > MAX_PROMPTS) throw new HubError('BadRequest', `${file} has more than ${MAX_PROMPTS} prompts`);
    // A prompt fewer than two models answered can never be a battle (unless the answers come live).
    if (p.outputs.length < 2 && !live) continue;
    for (const [m] of p.outputs) models.add(m);
    prompts.push({ id: p.id, prompt: JSON.stringify(p.prompt), outputs: p.outputs });
  }
  if (prompts.length === 0) throw new HubError('BadRequest', live ? `${file} has no prompt` : `${file} has no prompt that two models answered`);

  const row: ArenaRow = {
    id: randomBytes(12).toString('hex'),
    namespace,
    name_lc: name.toLowerCase(),
    slug,
    title,
    private: isPrivate ? 1 : 0,
    dataset_repo_id: dataset.id,
    dataset: `${dataset.namespace}/${dataset.name}`,
    file,
    commit_sha: rev.commit,
    prompts: prompts.length,
    models: models.size,
    votes_per_minute: votesPerMinute,
    voter_cap: voterCap,
    live: live ? 1 : 0,
    created_by: actor.user.id,
    created_at: nowIso(),
  };
  try {
    await hub.db.transaction().execute(async (trx) => {
      await trx.insertInto('arenas').values(row).execute();
      // Batches stay under PostgreSQL's 65,535 bind parameters and SQLite's 32,766.
      for (let i = 0; i < prompts.length; i += 500) {
        await trx
          .insertInto('arena_prompts')
          .values(prompts.slice(i, i + 500).map((p, k) => ({ arena_id: row.id, idx: i + k, prompt_id: p.id, prompt: p.prompt, n_models: p.outputs.length })))
          .execute();
      }
      let batch: Selectable<ArenaAnswersTable>[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length) await trx.insertInto('arena_answers').values(batch).execute();
        batch = [];
      };
      for (let i = 0; i < prompts.length; i++) {
        for (const [model, answer] of prompts[i]!.outputs) {
          const s = styleOf(answer);
          batch.push({ arena_id: row.id, idx: i, model, answer, length: s.length, headers: s.headers ?? 0, lists: s.lists ?? 0, bold: s.bold ?? 0 });
          if (batch.length >= 500) await flush();
        }
      }
      await flush();
    });
  } catch (err) {
    // Two creations of the same name at once: the unique name_lc lets one win.
    const again = await hub.db.selectFrom('arenas').select('id').where('name_lc', '=', name.toLowerCase()).executeTakeFirst();
    if (again && again.id !== row.id) throw new HubError('Conflict', `An arena named ${name} already exists`);
    throw err;
  }
  return row;
}

export async function deleteArena(hub: Hub, actor: Actor, namespace: string, slug: string): Promise<void> {
  const row = await findArena(hub, actor, namespace, slug);
  requireWriter(actor, 'delete an arena');
  if (!canEditArena(actor, row)) throw new HubError('Forbidden', `You cannot delete the arenas of ${row.namespace}`);
  // Children first: SQLite only cascades with foreign keys on, and this does not depend on it.
  await hub.db.transaction().execute(async (trx) => {
    // What was exported stays in the datasets' history; the records of it go with the arena.
    await trx.deleteFrom('arena_exported').where('export_id', 'in', trx.selectFrom('arena_exports').select('id').where('arena_id', '=', row.id)).execute();
    await trx.deleteFrom('arena_exports').where('arena_id', '=', row.id).execute();
    await trx.deleteFrom('arena_battles').where('arena_id', '=', row.id).execute();
    await trx.deleteFrom('arena_endpoints').where('arena_id', '=', row.id).execute();
    await trx.deleteFrom('arena_answers').where('arena_id', '=', row.id).execute();
    await trx.deleteFrom('arena_prompts').where('arena_id', '=', row.id).execute();
    await trx.deleteFrom('arenas').where('id', '=', row.id).execute();
  });
  leaderboardCache.forEach((_v, k) => k.startsWith(`${row.id}:`) && leaderboardCache.delete(k));
}

// ---------------------------------------------------------------- battles and votes

export interface DealtBattle {
  battleId: string;
  promptId: string;
  prompt: Prompt;
  a: { answer: string };
  b: { answer: string };
}

/** Deals a random prompt and two different models that both answered it; the pairing stays on the server. */
export async function dealBattle(hub: Hub, actor: Actor, arena: ArenaRow): Promise<DealtBattle> {
  requireWriter(actor, 'battle in an arena');
  const idx = randomInt(arena.prompts);
  const prompt = await hub.db.selectFrom('arena_prompts').select(['prompt_id', 'prompt']).where('arena_id', '=', arena.id).where('idx', '=', idx).executeTakeFirstOrThrow();
  const promptValue = JSON.parse(prompt.prompt) as Prompt;
  const pick2 = <T>(xs: T[]): [T, T] => {
    // Two distinct picks, uniformly, and which one is "A" is random too.
    const i = randomInt(xs.length);
    let j = randomInt(xs.length - 1);
    if (j >= i) j++;
    return [xs[i]!, xs[j]!];
  };
  let a: { model: string; answer: string };
  let b: { model: string; answer: string };
  if (arena.live === 1) {
    const models = await liveModels(hub, arena);
    if (models.length < 2) throw new HubError('BadRequest', 'This live arena needs endpoints for at least two models');
    const [ma, mb] = pick2(models);
    const [ansA, ansB] = await Promise.all([liveAnswer(hub, arena, ma, promptValue), liveAnswer(hub, arena, mb, promptValue)]);
    a = { model: ma, answer: ansA };
    b = { model: mb, answer: ansB };
  } else {
    const answers = await hub.db.selectFrom('arena_answers').select(['model', 'answer']).where('arena_id', '=', arena.id).where('idx', '=', idx).execute();
    [a, b] = pick2(answers);
  }
  const id = randomBytes(16).toString('base64url');
  const live = arena.live === 1;
  const revisions = await modelRevisions(hub, [a.model, b.model]);
  await hub.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('arena_battles').where('arena_id', '=', arena.id).where('user_id', '=', actor.user.id).where('winner', 'is', null).execute();
    await trx
      .insertInto('arena_battles')
      .values({
        id,
        arena_id: arena.id,
        user_id: actor.user.id,
        idx,
        model_a: a.model,
        model_b: b.model,
        created_at: nowIso(),
        winner: null,
        voted_at: null,
        answer_a: live ? a.answer : null,
        answer_b: live ? b.answer : null,
        style_a: JSON.stringify(styleOf(a.answer)),
        style_b: JSON.stringify(styleOf(b.answer)),
        consent_at: null,
        revision_a: revisions.get(a.model) ?? null,
        revision_b: revisions.get(b.model) ?? null,
      })
      .execute();
  });
  return { battleId: id, promptId: prompt.prompt_id, prompt: promptValue, a: { answer: a.answer }, b: { answer: b.answer } };
}

/**
 * The commit each named model's repo on this hub is at now (its default
 * branch): the provenance of a battle's answers in an export. A name that
 * is not a model repo here (answers from elsewhere) has none.
 */
async function modelRevisions(hub: Hub, models: string[]): Promise<Map<string, string>> {
  const rows = await hub.db
    .selectFrom('repos as r')
    .innerJoin('refs as f', (j) => j.onRef('f.repo_id', '=', 'r.id').on('f.name', '=', sql<string>`'refs/heads/' || r.default_branch`))
    .select(['r.full_name_lc', 'f.oid'])
    .where('r.type', '=', 'model')
    .where('r.full_name_lc', 'in', models.map((m) => m.toLowerCase()))
    .execute();
  const byName = new Map(rows.map((r) => [r.full_name_lc, r.oid]));
  return new Map(models.flatMap((m) => (byName.has(m.toLowerCase()) ? [[m, byName.get(m.toLowerCase())!] as [string, string]] : [])));
}

export interface VoteResult {
  battleId: string;
  winner: Winner;
  a: string;
  b: string;
  /** whether the voter agreed to publication of this vote (with the prompt and both answers) in a dataset */
  consent: { publish: boolean; at: string | null };
}

/** `consent` of a vote: absent means no; otherwise `{"publish": true | false}`. */
function parseConsent(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  const o = v as Record<string, unknown>;
  if (typeof v !== 'object' || Array.isArray(v) || typeof o.publish !== 'boolean' || Object.keys(o).some((k) => k !== 'publish')) {
    throw new HubError('BadRequest', '"consent" must be {"publish": true} or {"publish": false}');
  }
  return o.publish;
}

/**
 * Records the vote of the user a battle was dealt to and reveals the models.
 * Someone else's battle, or one that does not exist (or was replaced by a
 * newer deal), is 404; a second vote is 409; over the arena's rate, 429.
 */
export async function vote(hub: Hub, actor: Actor, arena: ArenaRow, battleId: string, winner: unknown, consent?: unknown): Promise<VoteResult> {
  requireWriter(actor, 'vote in an arena');
  if (typeof winner !== 'string' || !(WINNERS as readonly string[]).includes(winner)) throw new HubError('BadRequest', `"winner" must be one of ${WINNERS.join(', ')}`);
  const publish = parseConsent(consent);
  const battle = await hub.db.selectFrom('arena_battles').selectAll().where('id', '=', battleId).where('arena_id', '=', arena.id).executeTakeFirst();
  if (!battle || battle.user_id !== actor.user.id) throw new HubError('NotFound', 'Battle not found');
  if (battle.winner !== null) throw new HubError('Conflict', 'This battle has already been voted on');
  const since = new Date(Date.now() - 60_000).toISOString();
  const recent = await hub.db
    .selectFrom('arena_battles')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('arena_id', '=', arena.id)
    .where('user_id', '=', actor.user.id)
    .where('voted_at', '>=', since)
    .executeTakeFirst();
  if (Number(recent?.n ?? 0) >= arena.votes_per_minute) {
    throw new HubError('TooManyRequests', `At most ${arena.votes_per_minute} votes a minute in this arena; wait a little`, { headers: { 'Retry-After': '60' } });
  }
  // The `winner is null` condition makes a concurrent double vote lose here.
  const at = nowIso();
  const res = await hub.db
    .updateTable('arena_battles')
    .set({ winner, voted_at: at, consent_publish: publish ? 1 : 0, consent_at: publish ? at : null })
    .where('id', '=', battle.id)
    .where('winner', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw new HubError('Conflict', 'This battle has already been voted on');
  return { battleId: battle.id, winner: winner as Winner, a: battle.model_a, b: battle.model_b, consent: { publish, at: publish ? at : null } };
}

// ---------------------------------------------------------------- ratings

export interface ArenaLeaderboard {
  votes: number;
  voterCap: number;
  bootstrap: number;
  seed: number;
  style: boolean;
  fit: BradleyTerryResult | null;
}

/** Fits are cached per arena, vote count, style and seed: votes are never removed, so a new vote is a new key. */
const leaderboardCache = new Map<string, ArenaLeaderboard>();
const CACHE_MAX = 200;

/** Counts the arena's votes: the cache key, since votes only ever accumulate. */
async function voteCount(hub: Hub, arena: ArenaRow): Promise<number> {
  const r = await hub.db
    .selectFrom('arena_battles')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('arena_id', '=', arena.id)
    .where('voted_at', 'is not', null)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** The voted battles of an arena as the fit takes them (voter = user id, style features of both answers). */
export async function arenaBattles(hub: Hub, arena: ArenaRow): Promise<Battle[]> {
  const rows = await hub.db
    .selectFrom('arena_battles')
    .select(['model_a', 'model_b', 'winner', 'user_id', 'style_a', 'style_b'])
    .where('arena_id', '=', arena.id)
    .where('winner', 'is not', null)
    .orderBy('voted_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    a: r.model_a,
    b: r.model_b,
    outcome: r.winner as Winner,
    voter: r.user_id,
    styleA: JSON.parse(r.style_a) as StyleFeatures,
    styleB: JSON.parse(r.style_b) as StyleFeatures,
  }));
}

export async function arenaLeaderboard(hub: Hub, arena: ArenaRow, opts: { style: boolean; seed: number }): Promise<ArenaLeaderboard> {
  const votes = await voteCount(hub, arena);
  const key = `${arena.id}:${votes}:${opts.style ? 1 : 0}:${opts.seed}`;
  const hit = leaderboardCache.get(key);
  if (hit) return hit;
  const base = { votes, voterCap: arena.voter_cap, bootstrap: BOOTSTRAP, seed: opts.seed, style: opts.style };
  let result: ArenaLeaderboard;
  if (votes === 0) {
    result = { ...base, fit: null };
  } else {
    const battles = await arenaBattles(hub, arena);
    result = { ...base, votes: battles.length, fit: fitBradleyTerry(battles, { voterCap: arena.voter_cap, style: opts.style, B: BOOTSTRAP, seed: opts.seed }) };
  }
  // Older vote counts of this arena will not be asked for again.
  leaderboardCache.forEach((_v, k) => k.startsWith(`${arena.id}:`) && !k.startsWith(`${arena.id}:${votes}:`) && leaderboardCache.delete(k));
  if (leaderboardCache.size >= CACHE_MAX) leaderboardCache.delete(leaderboardCache.keys().next().value!);
  leaderboardCache.set(key, result);
  return result;
}
