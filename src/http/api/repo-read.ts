import { HubError } from '../../core/errors.js';
import { validateRepoPath } from '../../core/paths.js';
import type { RepoRef } from '../../core/repo-id.js';
import { lastCommitOf, listCommits } from '../../services/history.js';
import { tagsOf } from '../../services/listing.js';
import { rollSocialWindows } from '../../services/trending.js';
import { getRepo, type RepoRow } from '../../services/repos.js';
import { resolveRevision } from '../../services/revisions.js';
import { sourceInfo } from '../../mirror/replicate-store.js';
import { listFiles, lookupPath, walkTree } from '../../services/tree-index.js';
import { readBody } from '../body.js';
import type { Ctx } from '../context.js';
import { applyExpand, repoInfo, treeEntry, type SiblingInfo } from '../presenters.js';
import { decodeCursor, encodeCursor, nextLink, pageSize, sendJson } from '../respond.js';

/** `GET /api/{T}/{repo}` and `…/revision/{rev}` (spec 3). */
export async function repoInfoRoute(ctx: Ctx, ref: RepoRef, revision: string | undefined): Promise<void> {
  await rollSocialWindows(ctx.hub); // `downloads` is the last 30 days: move the window at the first read of a day
  const repo = await getRepo(ctx.hub, await ctx.actor(), ref);
  const rev = await resolveRevision(ctx.hub, repo, revision ?? 'HEAD');
  const blobs = ctx.flag('blobs');
  const files = await listFiles(ctx.hub, repo.id, rev.tree);
  const siblings: SiblingInfo[] = files.map((f) =>
    blobs
      ? { rfilename: f.path, size: f.size, blobId: f.oid, ...(f.lfs ? { lfs: { sha256: f.lfs.oid, size: f.lfs.size, pointerSize: f.lfs.pointerSize } } : {}) }
      : { rfilename: f.path },
  );
  const tags = (await tagsOf(ctx.hub, [repo.id])).get(repo.id) ?? [];
  const info = repoInfo(repo, { sha: rev.commit, siblings, tags, usedStorage: files.reduce((n, f) => n + f.size, 0) });
  // Where a pulled or imported repo came from (docs/replication.md).
  const mirror = await sourceInfo(ctx.hub.db, repo.id);
  if (mirror) info.mirror = mirror;
  sendJson(ctx, 200, applyExpand(info, ctx.list('expand')));
}

/** `GET /api/{T}/{repo}/tree/{rev}[/{path}]` (spec 4.2). */
export async function treeRoute(ctx: Ctx, ref: RepoRef, revision: string, path: string): Promise<void> {
  const repo = await getRepo(ctx.hub, await ctx.actor(), ref);
  const rev = await resolveRevision(ctx.hub, repo, revision);
  const commitHeader = { 'X-Repo-Commit': rev.commit };
  if (path) validateRepoPath(path);
  const dir = await lookupPath(ctx.hub, repo.id, rev.tree, path);
  if (!dir || dir.kind !== 'tree') throw new HubError('EntryNotFound', `${path || '/'} does not exist at revision ${revision}`, { headers: commitHeader });
  const expand = ctx.flag('expand');
  const limit = pageSize(ctx, expand ? 100 : 1000, expand ? 100 : 1000);
  const offset = decodeCursor(ctx.url.searchParams.get('cursor'));
  const page = [];
  let index = 0;
  let hasMore = false;
  for await (const entry of walkTree(ctx.hub, repo.id, dir.oid, path, ctx.flag('recursive'))) {
    if (index++ < offset) continue;
    if (page.length === limit) {
      hasMore = true;
      break;
    }
    page.push(entry);
  }
  const out = [];
  for (const e of page) out.push(treeEntry(e, expand ? await lastCommitOf(ctx.hub, repo, rev.commit, e.path) : undefined));
  const headers: Record<string, string> = { ...commitHeader };
  if (hasMore) headers.Link = nextLink(ctx, encodeCursor(offset + limit));
  sendJson(ctx, 200, out, headers);
}

/** `POST /api/{T}/{repo}/paths-info/{rev}`: JSON (JS) or form-encoded (PY) bodies (spec 4.3). */
export async function pathsInfoRoute(ctx: Ctx, ref: RepoRef, revision: string): Promise<void> {
  const repo = await getRepo(ctx.hub, await ctx.actor(), ref);
  const { paths, expand } = await readPathsInfoBody(ctx);
  const rev = await resolveRevision(ctx.hub, repo, revision);
  const out = [];
  for (const p of paths as string[]) {
    const clean = p.replace(/\/+$/, '');
    if (clean === '') continue;
    validateRepoPath(clean);
    const entry = await lookupPath(ctx.hub, repo.id, rev.tree, clean);
    if (!entry) continue;
    out.push(treeEntry(entry, expand ? await lastCommitOf(ctx.hub, repo, rev.commit, entry.path) : undefined));
  }
  sendJson(ctx, 200, out, { 'X-Repo-Commit': rev.commit });
}

/** `GET /api/{T}/{repo}/refs` (spec 4.4). */
export async function refsRoute(ctx: Ctx, ref: RepoRef): Promise<void> {
  const repo = await getRepo(ctx.hub, await ctx.actor(), ref);
  const rows = await ctx.hub.db.selectFrom('refs').select(['name', 'oid']).where('repo_id', '=', repo.id).orderBy('name').execute();
  const pick = (prefix: string) =>
    rows.filter((r) => r.name.startsWith(prefix)).map((r) => ({ name: r.name.slice(prefix.length), ref: r.name, targetCommit: r.oid }));
  const body: Record<string, unknown> = { branches: pick('refs/heads/'), tags: pick('refs/tags/'), converts: pick('refs/convert/') };
  if (ctx.flag('include_prs')) body.pullRequests = pick('refs/pr/');
  sendJson(ctx, 200, body);
}

/** `GET /api/{T}/{repo}/commits/{rev}` with `Link` pages and `X-Total-Count` (spec 4.5). */
export async function commitsRoute(ctx: Ctx, ref: RepoRef, revision: string): Promise<void> {
  const repo: RepoRow = await getRepo(ctx.hub, await ctx.actor(), ref);
  const rev = await resolveRevision(ctx.hub, repo, revision);
  const limit = pageSize(ctx, 50, 1000);
  const offset = decodeCursor(ctx.url.searchParams.get('cursor'));
  const { commits, total } = await listCommits(ctx.hub, repo, rev.commit, offset, limit);
  const formatted = ctx.list('expand').includes('formatted');
  const body = commits.map((c) => ({
    id: c.id,
    title: c.title,
    message: c.message,
    date: c.date,
    authors: [{ user: c.authorName, avatar: null }],
    parents: c.parents,
    ...(formatted ? { formatted: { title: escapeHtml(c.title), message: escapeHtml(c.message) } } : {}),
  }));
  const headers: Record<string, string> = { 'X-Total-Count': String(total), 'X-Repo-Commit': rev.commit };
  if (offset + commits.length < total) headers.Link = nextLink(ctx, encodeCursor(offset + limit));
  sendJson(ctx, 200, body, headers);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The body of `paths-info`: JSON (JS) or a form (PY), `paths` and `expand` (spec 3.4). */
export async function readPathsInfoBody(ctx: Ctx): Promise<{ paths: string[]; expand: boolean }> {
  const raw = await readBody(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
  const type = String(ctx.req.headers['content-type'] ?? '');
  let paths: unknown;
  let expand = false;
  if (type.includes('application/json')) {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      throw new HubError('BadRequest', 'The request body is not valid JSON');
    }
    paths = body.paths;
    expand = body.expand === true || body.expand === 'true';
  } else {
    const form = new URLSearchParams(raw.toString('utf8'));
    paths = [...form.getAll('paths'), ...form.getAll('paths[]')];
    expand = ['true', '1'].includes((form.get('expand') ?? '').toLowerCase());
  }
  if (typeof paths === 'string') paths = [paths];
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) throw new HubError('BadRequest', '"paths" must be a list of strings');
  if (paths.length > 1000) throw new HubError('PayloadTooLarge', 'At most 1000 paths per call');
  return { paths: paths as string[], expand };
}
