import { ANONYMOUS } from '../../auth/actor.js';
import { HubError } from '../../core/errors.js';
import type { RepoRef } from '../../core/repo-id.js';
import { countDownload, downloadClient, downloadStats } from '../../services/downloads.js';
import { likeState, listLikers, listUserLikes, setLike } from '../../services/likes.js';
import { getRepo, type RepoRow } from '../../services/repos.js';
import type { Ctx } from '../context.js';
import { decodeCursor, encodeCursor, nextLink, pageSize, sendJson } from '../respond.js';

function methodIs(ctx: Ctx, ...methods: string[]): void {
  if (!methods.includes(ctx.method)) throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
}

function avatarUrl(ctx: Ctx, name: string): string {
  return `${ctx.baseUrl}/avatars/${encodeURIComponent(name)}`;
}

/**
 * `/api/{T}/{repo}/like` (POST like, DELETE unlike, GET the caller's state), `…/likers` (GET, `Link`
 * pages) and `…/downloads` (GET, Orchard's daily download counts), spec 8.3.
 */
export async function repoSocialRoute(ctx: Ctx, ref: RepoRef, action: 'like' | 'likers' | 'downloads', args: string[]): Promise<void> {
  if (args.length) throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
  const actor = await ctx.actor();
  if (action === 'like') {
    methodIs(ctx, 'GET', 'HEAD', 'POST', 'DELETE');
    // GET (an Orchard addition) tells the Like button whether the caller likes the repo.
    if (ctx.method === 'GET' || ctx.method === 'HEAD') return sendJson(ctx, 200, await likeState(ctx.hub, actor, ref));
    return sendJson(ctx, 200, await setLike(ctx.hub, actor, ref, ctx.method === 'POST'));
  }
  methodIs(ctx, 'GET', 'HEAD');
  if (action === 'downloads') {
    const repo = await getRepo(ctx.hub, actor, ref, 'read');
    return sendJson(ctx, 200, await downloadStats(ctx.hub, repo.id));
  }
  const limit = pageSize(ctx, 100, 1000);
  const offset = decodeCursor(ctx.url.searchParams.get('cursor'));
  const { likers, hasMore } = await listLikers(ctx.hub, actor, ref, offset, limit);
  const headers: Record<string, string> = {};
  if (hasMore) headers.Link = nextLink(ctx, encodeCursor(offset + limit));
  sendJson(ctx, 200, likers.map((l) => ({ user: l.user, fullname: l.fullname, avatarUrl: avatarUrl(ctx, l.user) })), headers);
}

/** `GET /api/users/{user}/likes`: `[{createdAt, repo:{name, type}}]` with `Link` pages (spec 8.3). */
export async function userLikesRoute(ctx: Ctx, user: string): Promise<void> {
  const limit = pageSize(ctx, 100, 1000);
  const offset = decodeCursor(ctx.url.searchParams.get('cursor'));
  const { likes, hasMore } = await listUserLikes(ctx.hub, await ctx.actor(), user, offset, limit);
  const headers: Record<string, string> = {};
  if (hasMore) headers.Link = nextLink(ctx, encodeCursor(offset + limit));
  sendJson(ctx, 200, likes, headers);
}

function clientOf(ctx: Ctx): ReturnType<typeof downloadClient> {
  const ua = ctx.req.headers['user-agent'];
  return downloadClient(ctx.resolvedActor ?? ANONYMOUS, ctx.clientIp, typeof ua === 'string' ? ua : undefined);
}

/**
 * Called by resolve once a file is found: a GET that starts at byte 0 (no
 * Range, or `bytes=0-…`) is a download; a HEAD, a later range chunk, or a
 * conditional GET the client already has (304) is not. Counting is
 * deduplicated per client and day (src/services/downloads.ts), so the several
 * requests of one client download count once.
 */
export function countFileDownload(ctx: Ctx, repo: RepoRow, etag: string): void {
  if (ctx.method !== 'GET') return;
  const range = ctx.req.headers.range;
  if (range !== undefined && !/^\s*bytes=0-/.test(range)) return;
  const inm = ctx.req.headers['if-none-match'];
  if (inm && inm.split(',').map((s) => s.trim().replace(/^W\//, '')).includes(etag)) return;
  countDownload(ctx.hub, repo.id, clientOf(ctx));
}

/**
 * Called by git smart HTTP for a `git-upload-pack` POST, after its body is
 * piped to git: a clone or fetch counts. Protocol v2 also POSTs a bare
 * `ls-refs` (`git ls-remote`), which is not a download; its command is in the
 * first pkt-line of the (small, uncompressed) body, read here as it passes.
 */
export function countGitFetch(ctx: Ctx, repo: RepoRow): void {
  const client = clientOf(ctx);
  ctx.req.once('data', (chunk: Buffer) => {
    if (chunk.subarray(0, 64).toString('latin1').includes('command=ls-refs')) return;
    countDownload(ctx.hub, repo.id, client);
  });
}
