import { sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { can, tokenAllows } from '../auth/policy.js';
import { findUserByName } from '../auth/users.js';
import { HubError } from '../core/errors.js';
import type { RepoRef, RepoType } from '../core/repo-id.js';
import type { Hub } from './hub.js';
import { socialNow } from './downloads-clock.js';
import { getRepo } from './repos.js';
import { refreshTrending, rollSocialWindows } from './trending.js';

/**
 * Likes: one per user and repo. Liking twice or unliking a repo one does not
 * like changes nothing (both answer the current state). `repos.likes` is
 * recounted in the same transaction as the change, so it never drifts from
 * the rows. Only signed-in users like, with a session or a token that may
 * write on their behalf (a read token may not); the repo must be readable by
 * them, and a private repo they cannot see answers exactly like a missing one.
 */

function liker(actor: Actor): Extract<Actor, { kind: 'user' }> {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be signed in to like a repo');
  if (!tokenAllows(actor, 'repo.write', { namespace: actor.user.name })) throw new HubError('Forbidden', 'This token cannot like repos: use a write token');
  return actor;
}

export interface LikeState {
  liked: boolean;
  likes: number;
}

export async function setLike(hub: Hub, actor: Actor, ref: RepoRef, liked: boolean): Promise<LikeState> {
  const user = liker(actor).user;
  const repo = await getRepo(hub, actor, ref, 'read');
  await rollSocialWindows(hub);
  const likes = await hub.db.transaction().execute(async (trx) => {
    if (liked) {
      await trx
        .insertInto('repo_likes')
        .values({ repo_id: repo.id, user_id: user.id, created_at: socialNow(hub).toISOString() })
        .onConflict((oc) => oc.columns(['repo_id', 'user_id']).doNothing())
        .execute();
    } else {
      await trx.deleteFrom('repo_likes').where('repo_id', '=', repo.id).where('user_id', '=', user.id).execute();
    }
    await trx
      .updateTable('repos')
      .set({ likes: sql<number>`(select count(*) from repo_likes l where l.repo_id = ${repo.id})` })
      .where('id', '=', repo.id)
      .execute();
    const row = await trx.selectFrom('repos').select('likes').where('id', '=', repo.id).executeTakeFirstOrThrow();
    return Number(row.likes);
  });
  await refreshTrending(hub, [repo.id]);
  return { liked, likes };
}

/** The Like button's state for the actor (anonymous callers like nothing). */
export async function likeState(hub: Hub, actor: Actor, ref: RepoRef): Promise<LikeState> {
  const repo = await getRepo(hub, actor, ref, 'read');
  return { liked: actor.kind === 'user' && (await likesRepo(hub, actor.user.id, repo.id)), likes: repo.likes };
}

/** Does this user like this repo? (for the Like button) */
export async function likesRepo(hub: Hub, userId: string, repoId: string): Promise<boolean> {
  return (await hub.db.selectFrom('repo_likes').select('user_id').where('repo_id', '=', repoId).where('user_id', '=', userId).executeTakeFirst()) !== undefined;
}

export interface Liker {
  user: string;
  fullname: string;
}

/** Who likes a repo, most recent first (`GET /api/{T}/{repo}/likers`). */
export async function listLikers(hub: Hub, actor: Actor, ref: RepoRef, offset: number, limit: number): Promise<{ likers: Liker[]; hasMore: boolean }> {
  const repo = await getRepo(hub, actor, ref, 'read');
  const rows = await hub.db
    .selectFrom('repo_likes')
    .innerJoin('users', 'users.id', 'repo_likes.user_id')
    .select(['users.name', 'users.fullname'])
    .where('repo_likes.repo_id', '=', repo.id)
    .orderBy('repo_likes.created_at', 'desc')
    .orderBy('users.name', 'asc')
    .offset(offset)
    .limit(limit + 1)
    .execute();
  return { likers: rows.slice(0, limit).map((r) => ({ user: r.name, fullname: r.fullname || r.name })), hasMore: rows.length > limit };
}

export interface LikedRepo {
  createdAt: string;
  repo: { name: string; type: RepoType };
}

/**
 * What a user likes, most recent first (`GET /api/users/{user}/likes`).
 * Private repos appear only to viewers who may read them: the filter is in
 * the query (so pages stay full), and the policy checks each row again for
 * scoped tokens, as listings do.
 */
export async function listUserLikes(hub: Hub, actor: Actor, userName: string, offset: number, limit: number): Promise<{ likes: LikedRepo[]; hasMore: boolean }> {
  const user = await findUserByName(hub.db, userName);
  if (!user) throw new HubError('NotFound', `There is no user named ${userName}`);
  let query = hub.db
    .selectFrom('repo_likes')
    .innerJoin('repos', 'repos.id', 'repo_likes.repo_id')
    .select(['repo_likes.created_at', 'repos.type', 'repos.namespace', 'repos.name', 'repos.private'])
    .where('repo_likes.user_id', '=', user.id);
  if (!(actor.kind === 'user' && actor.user.isAdmin)) {
    const namespaces = actor.kind === 'user' ? [actor.user.name.toLowerCase(), ...actor.memberships.keys()] : [];
    query = query.where((eb) =>
      namespaces.length ? eb.or([eb('repos.private', '=', 0), eb(sql`lower(repos.namespace)`, 'in', namespaces)]) : eb('repos.private', '=', 0),
    );
  }
  const rows = await query.orderBy('repo_likes.created_at', 'desc').orderBy('repos.id', 'asc').offset(offset).limit(limit + 1).execute();
  const likes = rows
    .slice(0, limit)
    .filter((r) => r.private === 0 || can(actor, 'read', { type: r.type, namespace: r.namespace, name: r.name, private: true }))
    .map((r) => ({ createdAt: r.created_at, repo: { name: `${r.namespace}/${r.name}`, type: r.type } }));
  return { likes, hasMore: rows.length > limit };
}
