import { Readable } from 'node:stream';
import { HubError } from '../core/errors.js';
import { REPO_TYPES, type RepoRef, type RepoType } from '../core/repo-id.js';
import type { MirrorCache } from '../mirror/cache-service.js';
import { readPathsInfoBody } from './api/repo-read.js';
import type { Ctx } from './context.js';
import { sendJson } from './respond.js';
import { serveFile } from './serve-file.js';
import { pageContext, sendHtml } from './ui.js';
import { mirrorPage, mirroredRepoPage } from '../ui/pages/mirror.js';
import { cardBody, renderMarkdownCached } from '../ui/markdown.js';

/** Marks an answer as coming from the pull-through cache; clients ignore fields they do not know. */
const MIRRORED = { mirrored: true };

/** `GET /api/{T}/{repo}[/revision/{rev}]` for an upstream repo. */
export async function mirrorRepoInfoRoute(ctx: Ctx, mirror: MirrorCache, ref: RepoRef, revision: string | undefined): Promise<void> {
  const body = await mirror.info(ref, revision, ctx.url.searchParams);
  sendJson(ctx, 200, { ...body, ...MIRRORED });
}

/** `GET /api/{T}/{repo}/tree/{rev}/{path}`: the whole listing in one page (no `Link`, so clients stop there). */
export async function mirrorTreeRoute(ctx: Ctx, mirror: MirrorCache, ref: RepoRef, revision: string, dir: string): Promise<void> {
  const { entries } = await mirror.tree(ref, revision, dir, ctx.url.searchParams);
  sendJson(ctx, 200, entries);
}

export async function mirrorPathsInfoRoute(ctx: Ctx, mirror: MirrorCache, ref: RepoRef, revision: string): Promise<void> {
  const { paths, expand } = await readPathsInfoBody(ctx);
  sendJson(ctx, 200, await mirror.pathsInfo(ref, revision, paths, expand));
}

/**
 * `resolve` (and `raw`) of an upstream file, with the headers of a local one
 * (spec 2): the bytes come from the cache, or from upstream while they are
 * being cached. A HEAD never starts a transfer.
 */
export async function mirrorResolveRoute(ctx: Ctx, mirror: MirrorCache, ref: RepoRef, revision: string, filePath: string, raw: boolean): Promise<void> {
  const { commit, file } = await mirror.file(ref, revision, filePath);
  const commitHeader = { 'X-Repo-Commit': commit };
  if (file.kind === 'lfs' && raw) {
    // `raw` of an LFS file is its pointer, which is fully known from the metadata.
    const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${file.oid}\nsize ${file.size}\n`);
    await serveFile(ctx, { size: pointer.length, etag: `"${file.oid}"`, path: filePath, headers: commitHeader, open: async () => Readable.from([pointer]) });
    return;
  }
  const headers = file.kind === 'lfs' ? { ...commitHeader, 'X-Linked-Etag': `"${file.oid}"`, 'X-Linked-Size': String(file.size) } : commitHeader;
  await serveFile(ctx, {
    size: file.size,
    etag: `"${file.oid}"`,
    path: filePath,
    headers,
    open: () => {
      throw new HubError('Internal', 'mirrored files are read through openReader');
    },
    openReader: () => mirror.openFile(ref, commit, filePath, file),
  });
}

function requireMirror(ctx: Ctx): MirrorCache {
  if (!ctx.mirror) throw new HubError('NotFound', 'This hub mirrors no upstream hub');
  return ctx.mirror;
}

/** `GET /api/mirror`: cache usage and hit rates, for signed-in users (it names the upstream). */
export async function mirrorStatsRoute(ctx: Ctx): Promise<void> {
  const mirror = requireMirror(ctx);
  if ((await ctx.actor()).kind === 'anonymous') throw new HubError('Unauthorized', 'Sign in to see the mirror');
  sendJson(ctx, 200, { ...(await mirror.stats()), repos: await allCachedRepos(mirror) });
}

/** `/mirror`: the same as a page. */
export async function mirrorPageRoute(ctx: Ctx): Promise<void> {
  ctx.errorFlavor = 'html';
  const mirror = requireMirror(ctx);
  const page = await pageContext(ctx);
  if (page.actor.kind === 'anonymous') throw new HubError('Unauthorized', 'Sign in to see the mirror');
  sendHtml(ctx, 200, mirrorPage(page, await mirror.stats(), await allCachedRepos(mirror)));
}

async function allCachedRepos(mirror: MirrorCache): Promise<{ type: RepoType; id: string; lastAccess: string }[]> {
  const out = [];
  for (const type of REPO_TYPES) out.push(...(await mirror.cachedRepos(type, { limit: 200 })).map((r) => ({ type, ...r })));
  return out;
}

/** Listing entries (`GET /api/models?search=…`) for cached upstream repos, marked as mirrored. */
export async function mirroredListing(mirror: MirrorCache, type: RepoType, search: string | undefined, author: string | undefined): Promise<Record<string, unknown>[]> {
  const repos = await mirror.cachedRepos(type, { search, author, limit: 100 });
  return repos.map((r) => ({ id: r.id, ...(type === 'model' ? { modelId: r.id } : {}), author: r.id.split('/')[0], private: false, ...MIRRORED }));
}

/** Largest README read for a mirrored repo's page. */
const MAX_CARD_BYTES = 1024 * 1024;

/** `GET /{P}{repo}` for an upstream repo: its card and files, marked as mirrored. */
export async function mirrorRepoPageRoute(ctx: Ctx, mirror: MirrorCache, ref: RepoRef): Promise<void> {
  ctx.errorFlavor = 'html';
  const page = await pageContext(ctx);
  const { commit, entries } = await mirror.tree(ref, 'HEAD', '', new URLSearchParams());
  let card: string | undefined;
  const readme = (entries as { type?: string; path?: string; size?: number }[]).find((e) => e.type === 'file' && e.path === 'README.md');
  if (readme && (readme.size ?? 0) <= MAX_CARD_BYTES) {
    const { file } = await mirror.file(ref, commit, 'README.md');
    const reader = await mirror.openFile(ref, commit, 'README.md', file);
    try {
      const buf = Buffer.alloc(file.size);
      for (let pos = 0; pos < file.size; ) {
        const n = await reader.read(buf.subarray(pos), file.size - pos, pos);
        if (n === 0) break;
        pos += n;
      }
      const base = ctx.baseUrl + mirror.repoPath(ref);
      card = renderMarkdownCached(cardBody(buf.toString('utf8')), { fileBase: `${base}/resolve/${commit}` });
    } finally {
      await reader.close();
    }
  }
  sendHtml(ctx, 200, mirroredRepoPage(page, {
    type: ref.type,
    id: `${ref.namespace}/${ref.name}`,
    commit,
    upstream: mirror.upstream.opts.url,
    card,
    entries: entries as { type: string; path: string; size?: number }[],
    base: mirror.repoPath(ref),
  }));
}
