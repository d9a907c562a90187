import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HubError } from '../core/errors.js';
import { RESERVED_NAMESPACES, type RepoRef, type RepoType } from '../core/repo-id.js';
import { splitRevisionAndPath } from '../core/revision.js';
import { validateRepoPath } from '../core/paths.js';
import { listRepos, tagsOf } from '../services/listing.js';
import { findOrg } from '../services/orgs.js';
import { getRepo } from '../services/repos.js';
import { resolveRevision } from '../services/revisions.js';
import { lookupPath } from '../services/tree-index.js';
import { findUserByName } from '../auth/users.js';
import { html } from '../ui/html.js';
import { layout, type PageContext, THEME_BOOT } from '../ui/layout.js';
import { cardPage } from '../ui/pages/card.js';
import { blobPage, treePage } from '../ui/pages/files.js';
import { commitPage, commitsPage, pageIndex } from '../ui/pages/history.js';
import { refsPage } from '../ui/pages/refs.js';
import { dataPreview } from '../ui/preview/index.js';
import { homePage } from '../ui/pages/home.js';
import { repoCards } from '../ui/pages/repo-list.js';
import { orgMembersSection } from '../ui/pages/orgs.js';
import { readSearchQuery, searchPage } from '../ui/pages/search.js';
import { STYLES } from '../ui/styles.js';
import type { Ctx } from './context.js';

export async function pageContext(ctx: Ctx): Promise<PageContext> {
  return { actor: await ctx.actor(), baseUrl: ctx.baseUrl, csrfToken: ctx.session?.csrfToken };
}

export function sendHtml(ctx: Ctx, status: number, text: string): void {
  // Files in object storage are redirected there: images and media in cards, and the pages' own fetches.
  const storage = ctx.hub.blobs.downloadSource ? ` ${ctx.hub.blobs.downloadSource}` : '';
  ctx.res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'private, no-cache',
    // Pages only run the hub's own scripts; card HTML is sanitised on top of this.
    'Content-Security-Policy': `default-src 'self'; img-src 'self' https: data:${storage}; media-src 'self'${storage}; connect-src 'self'${storage}; script-src 'self' 'sha256-${THEME_HASH}'; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
  });
  ctx.res.end(ctx.method === 'HEAD' ? undefined : text);
}

// The hash of the inline theme script in src/ui/layout.ts, so that CSP can allow exactly it.
const THEME_HASH = createHash('sha256').update(THEME_BOOT).digest('base64');

const require = createRequire(import.meta.url);
const KATEX_DIR = path.dirname(require.resolve('katex/dist/katex.min.css'));
const CLIENT_DIR = fileURLToPath(new URL('../ui/client/', import.meta.url));
const STATIC_CACHE = 'public, max-age=3600';
const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="6" r="5" fill="#2f6f3e"/><rect x="7" y="10" width="2" height="6" fill="#6b4f2a"/></svg>';

/** `/static/…`: the stylesheet, the client scripts, and KaTeX's CSS and fonts. */
export async function staticRoute(ctx: Ctx, rest: string[]): Promise<void> {
  const name = rest.join('/');
  if (name === 'orchard.css') return sendStatic(ctx, 'text/css; charset=utf-8', Buffer.from(STYLES));
  if (name === 'favicon.svg') return sendStatic(ctx, 'image/svg+xml', Buffer.from(FAVICON));
  const client = /^([a-z0-9-]+)\.js$/.exec(name);
  if (client) return sendStatic(ctx, 'text/javascript; charset=utf-8', await readOr404(path.join(CLIENT_DIR, `${client[1]}.js`)));
  if (name === 'katex/katex.min.css') return sendStatic(ctx, 'text/css; charset=utf-8', await readOr404(path.join(KATEX_DIR, 'katex.min.css')));
  const font = /^katex\/fonts\/([A-Za-z0-9_-]+\.woff2)$/.exec(name);
  if (font) return sendStatic(ctx, 'font/woff2', await readOr404(path.join(KATEX_DIR, 'fonts', font[1]!)));
  throw new HubError('NotFound', 'Not found');
}

async function readOr404(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch {
    throw new HubError('NotFound', 'Not found');
  }
}

function sendStatic(ctx: Ctx, type: string, body: Buffer): void {
  ctx.res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(body.length), 'Cache-Control': STATIC_CACHE, 'X-Content-Type-Options': 'nosniff' });
  ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
}

/** `/`, `/models`, `/datasets`, `/spaces`. */
export async function topPageRoute(ctx: Ctx, first: string): Promise<void> {
  ctx.errorFlavor = 'html';
  const page = await pageContext(ctx);
  if (first === '') return sendHtml(ctx, 200, await homePage(ctx.hub, page));
  const type: RepoType = first === 'models' ? 'model' : first === 'datasets' ? 'dataset' : 'space';
  const q = readSearchQuery(ctx.url.searchParams, type);
  const mirrored = ctx.mirror && q.filters.length === 0 ? await ctx.mirror.cachedRepos(type, { search: q.search || undefined, author: q.author || undefined, limit: 50 }) : [];
  return sendHtml(ctx, 200, await searchPage(ctx.hub, page, type, q, mirrored));
}

/** `/{namespace}`: a user's or an org's repos. */
export async function namespaceRoute(ctx: Ctx, name: string): Promise<void> {
  ctx.errorFlavor = 'html';
  if (RESERVED_NAMESPACES.has(name.toLowerCase())) throw new HubError('NotFound', 'Not found');
  const page = await pageContext(ctx);
  const user = await findUserByName(ctx.hub.db, name);
  const org = user ? undefined : await findOrg(ctx.hub.db, name);
  if (!user && !org) throw new HubError('NotFound', `There is no user or organization named ${name}`);
  const display = user ? user.name : org!.name;
  const sections = [];
  for (const type of ['model', 'dataset', 'space'] as const) {
    const { rows } = await listRepos(ctx.hub, page.actor, { type, search: [], author: display, filter: [], sort: 'lastModified', ascending: false, offset: 0, limit: 100 });
    if (rows.length) sections.push(html`<h2>${type === 'model' ? 'Models' : type === 'dataset' ? 'Datasets' : 'Spaces'}</h2>${repoCards(rows, await tagsOf(ctx.hub, rows.map((r) => r.id)), '')}`);
  }
  const body = html`<h1>${user ? user.fullname || user.name : org!.fullname}</h1>
    <p class="muted">${user ? html`User <strong>${user.name}</strong>` : html`Organization <strong>${org!.name}</strong>`}</p>
    ${sections.length ? sections : html`<p class="empty">No repositories yet.</p>`}
    ${org ? await orgMembersSection(ctx.hub, page, org) : ''}`;
  sendHtml(ctx, 200, layout(page, display, body));
}

/**
 * Repo pages under `/{P}{ns}/{name}`: the card, `tree/{rev}/{path}`,
 * `blob/{rev}/{path}`, `commits/{rev}`, `commit/{sha}` and `refs`. Raw
 * segments are split before decoding, as for the API, so that a revision can
 * hold a '/'.
 */
export async function repoPageRoute(ctx: Ctx, ref: RepoRef, rest: string[], decode: (s: string) => string): Promise<void> {
  ctx.errorFlavor = 'html';
  const page = await pageContext(ctx);
  const row = await getRepo(ctx.hub, page.actor, ref);
  const [action, ...args] = rest;
  if (action === undefined) return sendHtml(ctx, 200, await cardPage(ctx.hub, page, row));
  if (action === 'tree' || action === 'blob') {
    const split = splitRevisionAndPath(args.length ? args : [row.default_branch]);
    const revName = decode(split.revision);
    const filePath = split.path.map(decode).join('/').replace(/\/+$/, '');
    if (filePath) validateRepoPath(filePath);
    const rev = await resolveRevision(ctx.hub, row, revName);
    const entry = await lookupPath(ctx.hub, row.id, rev.tree, filePath);
    if (action === 'tree') {
      if (!entry || entry.kind !== 'tree') throw new HubError('EntryNotFound', `${filePath} is not a folder at ${revName}`);
      return sendHtml(ctx, 200, await treePage(ctx.hub, page, row, revName, rev, entry));
    }
    if (!entry || entry.kind !== 'blob') throw new HubError('EntryNotFound', `${filePath} is not a file at ${revName}`);
    return sendHtml(ctx, 200, await blobPage(ctx.hub, page, row, revName, rev, entry, dataPreview));
  }
  if (action === 'commits') {
    const revName = decode(splitRevisionAndPath(args.length ? args : [row.default_branch]).revision);
    const rev = await resolveRevision(ctx.hub, row, revName);
    return sendHtml(ctx, 200, await commitsPage(ctx.hub, page, row, revName, rev, pageIndex(ctx.url.searchParams.get('p'))));
  }
  if (action === 'commit' && args.length === 1) return sendHtml(ctx, 200, await commitPage(ctx.hub, page, row, decode(args[0]!)));
  if (action === 'refs' && args.length === 0) return sendHtml(ctx, 200, await refsPage(ctx.hub, page, row));
  throw new HubError('NotFound', 'Not found');
}

