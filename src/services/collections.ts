import { createHash, randomBytes } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { can, canCreateIn, roleIn } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { slugify } from '../core/slug.js';
import { parseRepoId, type RepoType, REPO_TYPES, typeFromPlural } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import type { CollectionsTable } from '../db/schema-social.js';
import type { Hub } from './hub.js';
import { findRepo, getRepo, type RepoRow } from './repos.js';

/**
 * Collections: curated, ordered lists of repos with notes, owned by a user or
 * an org, modelled on the Hub's (`huggingface_hub` `create_collection` …).
 *
 * - A collection is named by `{namespace}/{title-slug}-{id}`; only the id is
 *   looked up, so a slug whose title part is out of date (after a rename)
 *   still works, as on the Hub.
 * - Anyone with a write role in the owning namespace edits it (the owner
 *   user, an org's writers and admins), with a credential that may write
 *   there (`canCreateIn`, the rule for creating repos).
 * - A private collection is visible only to those with a role in its
 *   namespace; to anyone else it does not exist (404, like a missing one).
 * - An item whose repo the viewer cannot read is left out, wherever the
 *   collection is shown; a deleted repo leaves its collections (cascade), a
 *   renamed one is followed (items hold the repo's id).
 */

export const THEMES = ['orange', 'blue', 'green', 'purple', 'pink', 'indigo'] as const;
export const MAX_TITLE = 100;
export const MAX_DESCRIPTION = 1000;
export const MAX_NOTE = 500;
export const MAX_ITEMS = 1000;

export type CollectionRow = Selectable<CollectionsTable>;


export function collectionSlug(row: Pick<CollectionRow, 'namespace' | 'title' | 'id'>): string {
  return `${row.namespace}/${slugify(row.title, 'collection')}-${row.id}`;
}

function newId(): string {
  return randomBytes(12).toString('hex');
}

/** May the actor see this collection? Public ones: everyone; private ones: anyone with a role in its namespace. */
export function canViewCollection(actor: Actor, row: Pick<CollectionRow, 'private' | 'namespace'>): boolean {
  return row.private === 0 || roleIn(actor, row.namespace) !== undefined;
}

export function canEditCollection(actor: Actor, row: Pick<CollectionRow, 'namespace'>): boolean {
  return canCreateIn(actor, row.namespace);
}

function notFound(slug: string): HubError {
  return new HubError('NotFound', `Collection ${slug} not found`);
}

/** Finds a collection by `namespace` and `{title-slug}-{id}`, as the actor may see it. */
export async function findCollection(hub: Hub, actor: Actor, namespace: string, slugPart: string): Promise<CollectionRow> {
  const slug = `${namespace}/${slugPart}`;
  const m = /(?:^|-)([0-9a-f]{24})$/.exec(slugPart);
  if (!m) throw notFound(slug);
  const row = await hub.db.selectFrom('collections').selectAll().where('id', '=', m[1]!).executeTakeFirst();
  if (!row || row.namespace.toLowerCase() !== namespace.toLowerCase() || !canViewCollection(actor, row)) throw notFound(slug);
  return row;
}

async function findEditable(hub: Hub, actor: Actor, namespace: string, slugPart: string): Promise<CollectionRow> {
  const row = await findCollection(hub, actor, namespace, slugPart);
  if (actor.kind === 'anonymous') throw new HubError('Unauthorized', 'You must be signed in to change a collection');
  if (!canEditCollection(actor, row)) throw new HubError('Forbidden', `You cannot change the collections of ${row.namespace}`);
  return row;
}

function text(value: unknown, what: string, max: number, opts: { required?: boolean } = {}): string | undefined {
  if (value === undefined || value === null) {
    if (opts.required) throw new HubError('BadRequest', `${what} is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new HubError('BadRequest', `${what} must be a string`);
  const v = value.trim();
  if (opts.required && !v) throw new HubError('BadRequest', `${what} must not be empty`);
  if (v.length > max) throw new HubError('BadRequest', `${what} is longer than ${max} characters`);
  return v;
}

function bool(value: unknown, what: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new HubError('BadRequest', `${what} must be true or false`);
  return value;
}

function position(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new HubError('BadRequest', 'position must be an integer ≥ 0');
  return value;
}

/** The owner's canonical name and kind. */
async function ownerOf(hub: Hub, namespace: string): Promise<{ name: string; type: 'user' | 'org'; id: string }> {
  const lc = namespace.toLowerCase();
  const user = await hub.db.selectFrom('users').select(['id', 'name']).where(sql`lower(name)`, '=', lc).executeTakeFirst();
  if (user) return { name: user.name, type: 'user', id: user.id };
  const org = await hub.db.selectFrom('orgs').select(['id', 'name']).where('name_lc', '=', lc).executeTakeFirst();
  if (org) return { name: org.name, type: 'org', id: org.id };
  throw new HubError('NotFound', `There is no user or organization named ${namespace}`);
}

export interface NewCollection {
  title: unknown;
  namespace: unknown;
  description?: unknown;
  private?: unknown;
}

export async function createCollection(hub: Hub, actor: Actor, input: NewCollection): Promise<CollectionRow> {
  if (actor.kind === 'anonymous') throw new HubError('Unauthorized', 'You must be signed in to create a collection');
  const title = text(input.title, 'title', MAX_TITLE, { required: true })!;
  const description = text(input.description, 'description', MAX_DESCRIPTION) || null;
  const isPrivate = bool(input.private, 'private') ?? false;
  const nsInput = input.namespace === undefined || input.namespace === null ? actor.user.name : input.namespace;
  if (typeof nsInput !== 'string' || !nsInput) throw new HubError('BadRequest', 'namespace must be a user or organization name');
  const owner = await ownerOf(hub, nsInput);
  if (!canCreateIn(actor, owner.name)) throw new HubError('Forbidden', `You cannot create collections in ${owner.name}`);
  const same = await hub.db
    .selectFrom('collections')
    .selectAll()
    .where(sql`lower(namespace)`, '=', owner.name.toLowerCase())
    .where(sql`lower(title)`, '=', title.toLowerCase())
    .executeTakeFirst();
  // PY `create_collection(exists_ok=True)` reads the slug from the 409.
  if (same) throw new HubError('Conflict', `A collection titled "${same.title}" already exists in ${owner.name}`, { body: { slug: collectionSlug(same) } });
  const id = newId();
  const now = nowIso();
  const last = await hub.db
    .selectFrom('collections')
    .select((eb) => eb.fn.max<number>('position').as('p'))
    .where(sql`lower(namespace)`, '=', owner.name.toLowerCase())
    .executeTakeFirst();
  const row: CollectionRow = {
    id,
    owner_user_id: owner.type === 'user' ? owner.id : null,
    owner_org_id: owner.type === 'org' ? owner.id : null,
    namespace: owner.name,
    title,
    description,
    private: isPrivate ? 1 : 0,
    // A theme from the id: stable, and varied across a namespace's collections.
    theme: THEMES[createHash('sha256').update(id).digest()[0]! % THEMES.length]!,
    position: last?.p === null || last?.p === undefined ? 0 : Number(last.p) + 1,
    created_at: now,
    updated_at: now,
  };
  await hub.db.insertInto('collections').values(row).execute();
  return row;
}

export interface CollectionPatch {
  title?: unknown;
  description?: unknown;
  private?: unknown;
  position?: unknown;
  theme?: unknown;
}

export async function updateCollection(hub: Hub, actor: Actor, namespace: string, slugPart: string, patch: CollectionPatch): Promise<CollectionRow> {
  const row = await findEditable(hub, actor, namespace, slugPart);
  const set: Partial<CollectionRow> = {};
  const title = text(patch.title, 'title', MAX_TITLE);
  if (title !== undefined) {
    if (!title) throw new HubError('BadRequest', 'title must not be empty');
    set.title = title;
  }
  if (patch.description !== undefined) set.description = text(patch.description, 'description', MAX_DESCRIPTION) || null;
  const priv = bool(patch.private, 'private');
  if (priv !== undefined) set.private = priv ? 1 : 0;
  if (patch.theme !== undefined && patch.theme !== null) {
    if (typeof patch.theme !== 'string' || !(THEMES as readonly string[]).includes(patch.theme)) throw new HubError('BadRequest', `theme must be one of ${THEMES.join(', ')}`);
    set.theme = patch.theme;
  }
  const pos = position(patch.position);
  await hub.db.transaction().execute(async (trx) => {
    if (Object.keys(set).length || pos !== undefined) {
      await trx.updateTable('collections').set({ ...set, updated_at: nowIso() }).where('id', '=', row.id).execute();
    }
    if (pos !== undefined) {
      const siblings = await trx
        .selectFrom('collections')
        .select(['id', 'position'])
        .where(sql`lower(namespace)`, '=', row.namespace.toLowerCase())
        .orderBy('position')
        .orderBy('created_at')
        .execute();
      await reorder(siblings, row.id, pos, (id, p) => trx.updateTable('collections').set({ position: p }).where('id', '=', id).execute());
    }
  });
  return hub.db.selectFrom('collections').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
}

/** Moves one id to index `to` of an ordered list and writes the positions that changed (0, 1, 2, …). */
async function reorder(rows: { id: string; position: number }[], id: string, to: number, write: (id: string, position: number) => Promise<unknown>): Promise<void> {
  const ids = rows.map((r) => r.id).filter((x) => x !== id);
  ids.splice(Math.min(to, ids.length), 0, id);
  const before = new Map(rows.map((r) => [r.id, Number(r.position)]));
  for (const [i, x] of ids.entries()) if (before.get(x) !== i) await write(x, i);
}

export async function deleteCollection(hub: Hub, actor: Actor, namespace: string, slugPart: string): Promise<void> {
  const row = await findEditable(hub, actor, namespace, slugPart);
  await hub.db.deleteFrom('collections').where('id', '=', row.id).execute();
}

export interface NewItem {
  item?: unknown;
  note?: unknown;
}

function itemType(value: unknown): RepoType {
  if (typeof value === 'string') {
    const t = (REPO_TYPES as readonly string[]).includes(value) ? (value as RepoType) : typeFromPlural(value);
    if (t) return t;
  }
  if (value === 'paper' || value === 'collection') throw new HubError('BadRequest', `This hub's collections hold models, datasets and spaces, not ${value}s`);
  throw new HubError('BadRequest', 'item.type must be "model", "dataset" or "space"');
}

export async function addItem(hub: Hub, actor: Actor, namespace: string, slugPart: string, input: NewItem): Promise<CollectionRow> {
  const row = await findEditable(hub, actor, namespace, slugPart);
  if (typeof input.item !== 'object' || input.item === null) throw new HubError('BadRequest', 'item must be {type, id}');
  const item = input.item as Record<string, unknown>;
  const ref = parseRepoId(itemType(item.type), item.id);
  const note = text(input.note, 'note', MAX_NOTE) || null;
  // The editor must be able to see what they add: a private repo they cannot read is "not found".
  const repo = await getRepo(hub, actor, ref, 'read');
  await hub.db.transaction().execute(async (trx) => {
    const exists = await trx.selectFrom('collection_items').select('id').where('collection_id', '=', row.id).where('repo_id', '=', repo.id).executeTakeFirst();
    if (exists) throw new HubError('Conflict', `${repo.namespace}/${repo.name} is already in this collection`);
    const count = await trx.selectFrom('collection_items').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max<number>('position').as('p')]).where('collection_id', '=', row.id).executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_ITEMS) throw new HubError('BadRequest', `A collection holds at most ${MAX_ITEMS} items`);
    await trx
      .insertInto('collection_items')
      .values({ id: newId(), collection_id: row.id, repo_id: repo.id, position: count.p === null ? 0 : Number(count.p) + 1, note, created_at: nowIso() })
      .execute();
    await trx.updateTable('collections').set({ updated_at: nowIso() }).where('id', '=', row.id).execute();
  }).catch((err: unknown) => {
    // Two concurrent adds of one repo: the unique key lets one win.
    if (!(err instanceof HubError) && /unique|duplicate/i.test(String(err))) throw new HubError('Conflict', `${repo.namespace}/${repo.name} is already in this collection`);
    throw err;
  });
  return hub.db.selectFrom('collections').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
}

export interface ItemPatch {
  note?: unknown;
  position?: unknown;
}

export async function updateItem(hub: Hub, actor: Actor, namespace: string, slugPart: string, itemId: string, patch: ItemPatch): Promise<CollectionRow> {
  const row = await findEditable(hub, actor, namespace, slugPart);
  const pos = position(patch.position);
  const note = patch.note === undefined ? undefined : text(patch.note, 'note', MAX_NOTE) || null;
  await hub.db.transaction().execute(async (trx) => {
    const item = await trx.selectFrom('collection_items').select('id').where('collection_id', '=', row.id).where('id', '=', itemId).executeTakeFirst();
    if (!item) throw new HubError('NotFound', `Item ${itemId} is not in this collection`);
    if (note !== undefined) await trx.updateTable('collection_items').set({ note }).where('id', '=', itemId).execute();
    if (pos !== undefined) {
      const items = await trx.selectFrom('collection_items').select(['id', 'position']).where('collection_id', '=', row.id).orderBy('position').orderBy('created_at').execute();
      await reorder(items, itemId, pos, (id, p) => trx.updateTable('collection_items').set({ position: p }).where('id', '=', id).execute());
    }
    await trx.updateTable('collections').set({ updated_at: nowIso() }).where('id', '=', row.id).execute();
  });
  return hub.db.selectFrom('collections').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
}

export async function deleteItem(hub: Hub, actor: Actor, namespace: string, slugPart: string, itemId: string): Promise<void> {
  const row = await findEditable(hub, actor, namespace, slugPart);
  const res = await hub.db.deleteFrom('collection_items').where('collection_id', '=', row.id).where('id', '=', itemId).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new HubError('NotFound', `Item ${itemId} is not in this collection`);
  await hub.db.updateTable('collections').set({ updated_at: nowIso() }).where('id', '=', row.id).execute();
}

export interface CollectionItemView {
  id: string;
  position: number;
  note: string | null;
  repo: RepoRow;
  likedByViewer: boolean;
}

export interface CollectionView {
  row: CollectionRow;
  ownerType: 'user' | 'org';
  ownerFullname: string;
  items: CollectionItemView[];
  /** items in the collection, those the viewer cannot see included */
  totalItems: number;
}

/**
 * A collection's items in order, as the actor may see them (items whose repo
 * the actor cannot read are left out). `maxItems` truncates (listings show 4).
 */
export async function collectionViews(hub: Hub, actor: Actor, rows: CollectionRow[], maxItems = Infinity): Promise<CollectionView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const items = await hub.db
    .selectFrom('collection_items')
    .innerJoin('repos', 'repos.id', 'collection_items.repo_id')
    .select(['collection_items.id as item_id', 'collection_items.collection_id', 'collection_items.position as item_position', 'collection_items.note'])
    .selectAll('repos')
    .where('collection_items.collection_id', 'in', ids)
    .orderBy('collection_items.position')
    .orderBy('collection_items.created_at')
    .execute();
  const liked = new Set<string>();
  if (actor.kind === 'user' && items.length) {
    const rowsLiked = await hub.db.selectFrom('repo_likes').select('repo_id').where('user_id', '=', actor.user.id).where('repo_id', 'in', [...new Set(items.map((i) => i.id))]).execute();
    for (const r of rowsLiked) liked.add(r.repo_id);
  }
  const users = await hub.db.selectFrom('users').select(['id', 'fullname']).where('id', 'in', rows.map((r) => r.owner_user_id ?? '')).execute();
  const orgs = await hub.db.selectFrom('orgs').select(['id', 'fullname']).where('id', 'in', rows.map((r) => r.owner_org_id ?? '')).execute();
  const fullnames = new Map([...users, ...orgs].map((o) => [o.id, o.fullname]));
  return rows.map((row) => {
    const mine = items.filter((i) => i.collection_id === row.id);
    const visible = mine.filter((i) => can(actor, 'read', { type: i.type, namespace: i.namespace, name: i.name, private: i.private === 1 }));
    return {
      row,
      ownerType: row.owner_org_id ? 'org' : 'user',
      ownerFullname: fullnames.get(row.owner_org_id ?? row.owner_user_id ?? '') || row.namespace,
      totalItems: mine.length,
      items: visible.slice(0, maxItems).map((i) => {
        const { item_id, collection_id: _c, item_position, note, ...repo } = i;
        return { id: item_id, position: Number(item_position), note, repo: repo as RepoRow, likedByViewer: liked.has(repo.id) };
      }),
    };
  });
}

export interface CollectionQuery {
  owner: string[];
  /** `models/ns/name`, `datasets/ns/name`, `spaces/ns/name` */
  item: string[];
  q: string | undefined;
  sort: string | undefined;
  offset: number;
  limit: number;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Collections visible to the actor. `sort`: `lastModified` (default, also
 * used for the Hub's `trending`) or `upvotes` (this hub has no upvotes, so
 * the same order); within a namespace page, `position`.
 */
export async function listCollections(hub: Hub, actor: Actor, q: CollectionQuery): Promise<{ rows: CollectionRow[]; hasMore: boolean }> {
  let query = hub.db.selectFrom('collections').selectAll();
  if (!(actor.kind === 'user' && actor.user.isAdmin)) {
    const namespaces = actor.kind === 'user' ? [actor.user.name.toLowerCase(), ...actor.memberships.keys()] : [];
    query = query.where((eb) => (namespaces.length ? eb.or([eb('private', '=', 0), eb(sql`lower(namespace)`, 'in', namespaces)]) : eb('private', '=', 0)));
  }
  const owners = q.owner.filter(Boolean).map((o) => o.toLowerCase());
  if (owners.length) query = query.where(sql`lower(namespace)`, 'in', owners);
  for (const item of q.item.filter(Boolean)) {
    const m = /^(models|datasets|spaces)\/([^/]+)\/([^/]+)$/.exec(item);
    const type = m ? typeFromPlural(m[1]!) : undefined;
    let repo: RepoRow | undefined;
    try {
      repo = type ? await findRepo(hub, { type, namespace: m![2]!, name: m![3]! }) : undefined;
    } catch {
      repo = undefined;
    }
    // A repo the actor cannot read matches nothing, exactly like a missing one.
    if (!repo || !can(actor, 'read', { type: repo.type, namespace: repo.namespace, name: repo.name, private: repo.private === 1 })) return { rows: [], hasMore: false };
    query = query.where('id', 'in', (eb) => eb.selectFrom('collection_items').select('collection_id').where('repo_id', '=', repo.id));
  }
  if (q.q) {
    const like = `%${escapeLike(q.q.toLowerCase())}%`;
    query = query.where((eb) => eb.or([eb(sql`lower(title)`, 'like', sql`${like} escape '\\'`), eb(sql`lower(coalesce(description, ''))`, 'like', sql`${like} escape '\\'`)]));
  }
  query = q.sort === 'position' ? query.orderBy('position').orderBy('created_at') : query.orderBy('updated_at', 'desc').orderBy('id');
  const rows = await query.offset(q.offset).limit(q.limit + 1).execute();
  return { rows: rows.slice(0, q.limit), hasMore: rows.length > q.limit };
}

/** The collections holding a repo that the actor may see (for the repo page). */
export async function collectionsWithRepo(hub: Hub, actor: Actor, repoId: string): Promise<CollectionRow[]> {
  const rows = await hub.db
    .selectFrom('collections')
    .selectAll()
    .where('id', 'in', (eb) => eb.selectFrom('collection_items').select('collection_id').where('repo_id', '=', repoId))
    .orderBy('updated_at', 'desc')
    .limit(50)
    .execute();
  return rows.filter((r) => canViewCollection(actor, r));
}

/** Collections the actor may add to (theirs and their orgs', where they can write). */
export async function editableCollections(hub: Hub, actor: Actor): Promise<CollectionRow[]> {
  if (actor.kind !== 'user') return [];
  const namespaces = [actor.user.name.toLowerCase(), ...actor.memberships.keys()];
  const rows = await hub.db.selectFrom('collections').selectAll().where(sql`lower(namespace)`, 'in', namespaces).orderBy('namespace').orderBy('position').limit(200).execute();
  return rows.filter((r) => canEditCollection(actor, r));
}
