import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Selectable } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { bypassesGate, can, canCreateIn, type RepoAccessInfo, type RepoAction } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { type RepoRef, type RepoType, repoFullName } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import type { ReposTable } from '../db/schema.js';
import { DEFAULT_GITATTRIBUTES } from '../repo/gitattributes.js';
import { ZERO_OID } from '../repo/git-repo.js';
import { gitRepoFor, type Hub, repoLocks } from './hub.js';
import { markPending, syncRepo } from './indexer.js';
import type { HubEvent } from './events.js';
import { namespaceTaken } from './orgs.js';

export type RepoRow = Selectable<ReposTable>;

export function describeType(type: RepoType): string {
  return type;
}

export async function findRepo(hub: Pick<Hub, 'db'>, ref: RepoRef): Promise<RepoRow | undefined> {
  return hub.db
    .selectFrom('repos')
    .selectAll()
    .where('type', '=', ref.type)
    .where('full_name_lc', '=', repoFullName(ref).toLowerCase())
    .executeTakeFirst();
}

/**
 * Where a renamed repo lives now, if the actor may see it. Used only after a
 * lookup by name failed, so a repo created under the old name wins.
 */
export async function findRenamed(hub: Hub, actor: Actor, ref: RepoRef): Promise<RepoRow | undefined> {
  const redirect = await hub.db
    .selectFrom('repo_redirects')
    .select('repo_id')
    .where('type', '=', ref.type)
    .where('full_name_lc', '=', repoFullName(ref).toLowerCase())
    .executeTakeFirst();
  if (!redirect) return undefined;
  const row = await hub.db.selectFrom('repos').selectAll().where('id', '=', redirect.repo_id).executeTakeFirst();
  if (!row || !can(actor, 'read', accessInfo(row))) return undefined;
  return row;
}

/**
 * Whether a local repo has (or had, before a rename) this name, whoever may
 * see it: a mirror never answers for such a name, so that local repos shadow
 * upstream ones and a private local repo is not replaced by a public twin.
 */
export async function localNameTaken(hub: Hub, ref: RepoRef): Promise<boolean> {
  const lc = repoFullName(ref).toLowerCase();
  const repo = await hub.db.selectFrom('repos').select('id').where('type', '=', ref.type).where('full_name_lc', '=', lc).executeTakeFirst();
  if (repo) return true;
  const redirect = await hub.db.selectFrom('repo_redirects').select('repo_id').where('type', '=', ref.type).where('full_name_lc', '=', lc).executeTakeFirst();
  return redirect !== undefined;
}

export function repoNotFound(ref: RepoRef): HubError {
  return new HubError('RepoNotFound', `Repository not found: ${ref.type} ${repoFullName(ref)} does not exist or you do not have access to it`);
}

export function accessInfo(row: RepoRow): RepoAccessInfo {
  return { type: row.type, namespace: row.namespace, name: row.name, private: row.private === 1, mirrorOf: row.mirror_of };
}

/** `read` is metadata (info, tree, listings); `content` is file bytes, which a gate guards. */
export type RepoAccess = RepoAction | 'content';

/**
 * Finds a repo the actor may act on. A repo the actor cannot read is
 * reported exactly like a missing one, so private names never leak; a repo
 * the actor can read but not write answers Forbidden; the bytes of a gated
 * repo need an approved access request (GatedRepo otherwise).
 */
export async function getRepo(hub: Hub, actor: Actor, ref: RepoRef, action: RepoAccess = 'read'): Promise<RepoRow> {
  const row = await findRepo(hub, ref);
  if (!row) throw repoNotFound(ref);
  const info = accessInfo(row);
  if (!can(actor, 'read', info)) throw repoNotFound(ref);
  if (action === 'read') return row;
  if (action === 'content') {
    if (row.gated && !bypassesGate(actor, info) && !(await gateApproved(hub, actor, row))) {
      throw new HubError(
        'GatedRepo',
        `Access to ${row.type} ${repoFullName(row)} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      );
    }
    return row;
  }
  if (actor.kind === 'anonymous') throw new HubError('Unauthorized', 'You must be authenticated to write; send a token');
  if (!can(actor, action, info)) {
    if (info.mirrorOf && can(actor, action, { ...info, mirrorOf: null })) {
      throw new HubError('Forbidden', `${repoFullName(row)} is a read-only mirror of ${info.mirrorOf}: it changes only when it pulls from there. Write to the source, or stop mirroring with \`orchard mirror remove\` (docs/replication.md)`);
    }
    const why = actor.kind === 'user' && actor.token && actor.token.role !== 'write' ? 'your token does not allow it' : 'you do not have write access';
    throw new HubError('Forbidden', `You cannot ${action === 'admin' ? 'administer' : 'write to'} ${repoFullName(row)}: ${why}`);
  }
  return row;
}

async function gateApproved(hub: Hub, actor: Actor, row: RepoRow): Promise<boolean> {
  if (actor.kind !== 'user') return false;
  const req = await hub.db
    .selectFrom('gated_requests')
    .select('status')
    .where('repo_id', '=', row.id)
    .where('user_id', '=', actor.user.id)
    .executeTakeFirst();
  return req?.status === 'accepted';
}

/** May this actor read the repo's file contents? False for a gated repo they are not approved for; other refusals throw as `getRepo` does. */
export async function mayReadContent(hub: Hub, actor: Actor, ref: RepoRef): Promise<boolean> {
  try {
    await getRepo(hub, actor, ref, 'content');
    return true;
  } catch (err) {
    if (err instanceof HubError && err.code === 'GatedRepo') return false;
    throw err;
  }
}

export interface CreateRepoInput {
  ref: RepoRef;
  private: boolean;
}

/**
 * Creates a repo with an initial commit holding the default
 * `.gitattributes`, so that `main` and `sha` exist straight away (spec 5.1).
 * The row is inserted first (the unique index decides races); the git
 * directory is named by the row's id, so a crash in between leaves a row that
 * the start-up sync completes.
 */
export async function createRepo(hub: Hub, actor: Actor, input: CreateRepoInput): Promise<RepoRow> {
  if (!canCreateIn(actor, input.ref.namespace)) {
    if (actor.kind === 'anonymous') throw new HubError('Unauthorized', 'You must be authenticated to create a repo');
    throw new HubError('Forbidden', `You cannot create repos in the namespace ${input.ref.namespace}`);
  }
  if (await findRepo(hub, input.ref)) throw new HubError('Conflict', `You already created this ${input.ref.type} repo`);
  if (!(await namespaceTaken(hub.db, input.ref.namespace))) throw new HubError('NotFound', `There is no user or organization named ${input.ref.namespace}`);
  const now = nowIso();
  const row: RepoRow = {
    id: randomUUID(),
    type: input.ref.type,
    namespace: input.ref.namespace,
    name: input.ref.name,
    full_name_lc: repoFullName(input.ref).toLowerCase(),
    private: input.private ? 1 : 0,
    gated: null,
    disabled: 0,
    created_by: actor.kind === 'user' ? actor.user.id : null,
    created_at: now,
    last_modified: now,
    default_branch: 'main',
    head_sha: null,
    card_data: null,
    pipeline_tag: null,
    library_name: null,
    downloads: 0,
    likes: 0,
    downloads_all_time: 0,
    trending_score: 0,
    mirror_of: null,
  };
  try {
    await hub.db.transaction().execute(async (trx) => {
      await trx.insertInto('repos').values(row).execute();
      await trx.deleteFrom('repo_redirects').where('type', '=', row.type).where('full_name_lc', '=', row.full_name_lc).execute();
      await trx.insertInto('pending_syncs').values({ repo_id: row.id, since: now }).execute();
    });
  } catch (err) {
    if (/unique|duplicate/i.test(String(err))) throw new HubError('Conflict', `You already created this ${input.ref.type} repo`);
    throw err;
  }
  await initialiseGit(hub, row, actor);
  await syncRepo(hub, row.id);
  const created = await hub.db.selectFrom('repos').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
  await hub.events.emit({ scope: 'repo', action: 'create', repoId: row.id, repo: eventRepo(created), actor: actorName(actor), at: nowIso() });
  return created;
}

/** The repo as events describe it. */
export function eventRepo(row: RepoRow): HubEvent['repo'] {
  return { type: row.type, namespace: row.namespace, name: row.name, private: row.private === 1, headSha: row.head_sha };
}

function actorName(actor: Actor): string | null {
  return actor.kind === 'user' ? actor.user.name : null;
}

/** Creates the bare repository and its first commit; idempotent for crash recovery. */
export async function initialiseGit(hub: Hub, row: RepoRow, actor?: Actor): Promise<void> {
  const git = gitRepoFor(hub, row.id);
  await mkdir(hub.gitRoot, { recursive: true });
  // Build in a temp folder and rename: a crash never leaves a half-initialised repo in place.
  const tmpDir = path.join(hub.tmpDir, `init-${row.id}.git`);
  await rm(tmpDir, { recursive: true, force: true });
  const tmp = gitRepoFor({ ...hub, gitRoot: hub.tmpDir }, `init-${row.id}`);
  await tmp.init();
  const blob = await tmp.hashBuffer(DEFAULT_GITATTRIBUTES);
  const tree = await tmp.buildTree(undefined, [{ path: '.gitattributes', blob: { oid: blob, mode: '100644' } }]);
  const who = actor?.kind === 'user' ? actor.user : undefined;
  const commit = await tmp.commitTree(tree, [], 'initial commit', {
    name: who?.name ?? 'orchard',
    email: who?.email ?? `${who?.name ?? 'orchard'}@users.noreply.orchard`,
    date: row.created_at,
  });
  await tmp.updateRef('refs/heads/main', commit, ZERO_OID);
  try {
    await rename(tmpDir, git.gitDir);
  } catch (err) {
    await rm(tmpDir, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}

export async function deleteRepo(hub: Hub, actor: Actor, ref: RepoRef): Promise<void> {
  const row = await getRepo(hub, actor, ref, 'admin');
  await repoLocks.run(row.id, async () => {
    await hub.db.deleteFrom('repos').where('id', '=', row.id).execute();
    await hub.db.deleteFrom('pending_syncs').where('repo_id', '=', row.id).execute();
    // Rename first so that the folder disappears atomically, then remove it.
    const trash = path.join(hub.tmpDir, `deleted-${row.id}-${Date.now()}`);
    await rename(gitRepoFor(hub, row.id).gitDir, trash).catch(() => undefined);
    await rm(trash, { recursive: true, force: true });
  });
  await hub.events.emit({ scope: 'repo', action: 'delete', repoId: row.id, repo: eventRepo(row), actor: actorName(actor), at: nowIso() });
}

/** Renames a repo (and may move it to another namespace). The git folder is keyed by id, so this is metadata only. */
export async function moveRepo(hub: Hub, actor: Actor, from: RepoRef, to: RepoRef): Promise<RepoRow> {
  const row = await getRepo(hub, actor, from, 'admin');
  if (!canCreateIn(actor, to.namespace)) throw new HubError('Forbidden', `You cannot move repos to the namespace ${to.namespace}`);
  if (!(await namespaceTaken(hub.db, to.namespace))) throw new HubError('NotFound', `There is no user or organization named ${to.namespace}`);
  const existing = await findRepo(hub, to);
  if (existing && existing.id !== row.id) throw new HubError('Conflict', `A ${to.type} repo named ${repoFullName(to)} already exists`);
  try {
    await hub.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('repos')
        .set({ namespace: to.namespace, name: to.name, full_name_lc: repoFullName(to).toLowerCase() })
        .where('id', '=', row.id)
        .execute();
      // The old name redirects here until a new repo takes it.
      await trx.deleteFrom('repo_redirects').where('type', '=', row.type).where('full_name_lc', '=', repoFullName(to).toLowerCase()).execute();
      await trx
        .insertInto('repo_redirects')
        .values({ type: row.type, full_name_lc: row.full_name_lc, repo_id: row.id })
        .onConflict((oc) => oc.columns(['type', 'full_name_lc']).doUpdateSet({ repo_id: row.id }))
        .execute();
    });
  } catch (err) {
    if (/unique|duplicate/i.test(String(err))) throw new HubError('Conflict', `A ${to.type} repo named ${repoFullName(to)} already exists`);
    throw err;
  }
  const moved = { ...row, namespace: to.namespace, name: to.name, full_name_lc: repoFullName(to).toLowerCase() };
  await hub.events.emit({ scope: 'repo', action: 'move', repoId: row.id, repo: eventRepo(moved), oldName: `${row.namespace}/${row.name}`, actor: actorName(actor), at: nowIso() });
  return moved;
}

export interface RepoSettings {
  private?: boolean;
  gated?: false | 'auto' | 'manual';
}

export async function updateSettings(hub: Hub, actor: Actor, ref: RepoRef, settings: RepoSettings): Promise<RepoRow> {
  const row = await getRepo(hub, actor, ref, 'admin');
  const patch: Partial<RepoRow> = {};
  if (settings.private !== undefined) patch.private = settings.private ? 1 : 0;
  if (settings.gated !== undefined) patch.gated = settings.gated === false ? null : settings.gated;
  if (Object.keys(patch).length) await hub.db.updateTable('repos').set(patch).where('id', '=', row.id).execute();
  const updated = { ...row, ...patch };
  const updatedConfig: NonNullable<HubEvent['updatedConfig']> = {};
  if (settings.private !== undefined && (row.private === 1) !== settings.private) updatedConfig.private = settings.private;
  if (settings.gated !== undefined && (row.gated ?? false) !== settings.gated) updatedConfig.gated = settings.gated;
  if (Object.keys(updatedConfig).length) {
    await hub.events.emit({ scope: 'repo.config', action: 'update', repoId: row.id, repo: eventRepo(updated), updatedConfig, actor: actorName(actor), at: nowIso() });
  }
  return updated;
}

export { markPending };
