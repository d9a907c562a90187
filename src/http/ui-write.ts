import { getSignupMode } from '../auth/signup.js';
import { HubError } from '../core/errors.js';
import { validateRepoPath } from '../core/paths.js';
import { REPO_TYPES, type RepoRef, type RepoType } from '../core/repo-id.js';
import { splitRevisionAndPath } from '../core/revision.js';
import { getRepo } from '../services/repos.js';
import { resolveBranch } from '../services/revisions.js';
import { safeNext } from '../ui/forms.js';
import type { PageContext } from '../ui/layout.js';
import { accessPage } from '../ui/pages/access.js';
import { myOrgsPage, passwordPage, tokensPage } from '../ui/pages/account.js';
import { joinPage, loginPage } from '../ui/pages/auth.js';
import { editPage } from '../ui/pages/edit.js';
import { newRepoPage } from '../ui/pages/new-repo.js';
import { newOrgPage } from '../ui/pages/orgs.js';
import { repoSettingsPage } from '../ui/pages/repo-settings.js';
import { uploadPage } from '../ui/pages/upload.js';
import type { Ctx } from './context.js';
import { pageContext, sendHtml } from './ui.js';

/**
 * The web UI's pages that write: sign-in and sign-up, new repo and org,
 * account settings, and a repo's upload, edit, settings and access pages.
 * They are plain GET pages; their scripts call the JSON APIs.
 */

type SignedIn = PageContext & { actor: Extract<PageContext['actor'], { kind: 'user' }> };

function redirect(ctx: Ctx, location: string): void {
  ctx.res.writeHead(302, { Location: location, 'Content-Length': '0', 'Cache-Control': 'no-store' });
  ctx.res.end();
}

/** Sends an anonymous visitor to the sign-in page, to come back here after. */
function signedIn(ctx: Ctx, page: PageContext): page is SignedIn {
  if (page.actor.kind === 'user') return true;
  redirect(ctx, `/login?next=${encodeURIComponent(ctx.rawPath + ctx.url.search)}`);
  return false;
}

const ACCOUNT_PAGES = new Set(['login', 'join', 'new', 'settings', 'organizations/new', 'settings/tokens', 'settings/password', 'settings/organizations']);

/** Is this path one of the account pages (`/login`, `/settings/tokens`, …)? */
export function isAccountPage(segs: string[]): boolean {
  return ACCOUNT_PAGES.has(segs.join('/'));
}

/** `/login`, `/join`, `/new`, `/organizations/new`, `/settings/…`. */
export async function accountPageRoute(ctx: Ctx, segs: string[]): Promise<void> {
  ctx.errorFlavor = 'html';
  const page = await pageContext(ctx);
  const q = ctx.url.searchParams;
  const next = safeNext(q.get('next'));
  const path = segs.join('/');
  if (path === 'login' || path === 'join') {
    if (page.actor.kind === 'user') return redirect(ctx, next);
    const mode = await getSignupMode(ctx.hub.db);
    return sendHtml(ctx, 200, path === 'login' ? loginPage(page, next, mode) : joinPage(page, next, mode, q.get('invite') ?? ''));
  }
  if (!signedIn(ctx, page)) return;
  switch (path) {
    case 'new': {
      const type = q.get('type');
      return sendHtml(ctx, 200, newRepoPage(page, { type: (REPO_TYPES as readonly string[]).includes(type ?? '') ? (type as RepoType) : 'model', owner: q.get('owner') }));
    }
    case 'organizations/new':
      return sendHtml(ctx, 200, newOrgPage(page));
    case 'settings':
      return redirect(ctx, '/settings/tokens');
    case 'settings/tokens':
      return sendHtml(ctx, 200, await tokensPage(ctx.hub, page));
    case 'settings/password':
      return sendHtml(ctx, 200, passwordPage(page));
    case 'settings/organizations':
      return sendHtml(ctx, 200, myOrgsPage(page));
  }
  throw new HubError('NotFound', 'Not found');
}

/** The repo subpages served here: `upload/{branch}`, `edit/{branch}/{path}`, `settings`, `access`. */
export const REPO_WRITE_PAGES: ReadonlySet<string> = new Set(['upload', 'edit', 'settings', 'access']);

/**
 * A repo's write pages. Anonymous visitors go to sign in first (whether or
 * not the repo exists, so nothing leaks); the access page alone is shown to
 * them, with a sign-in button.
 */
export async function repoWritePageRoute(ctx: Ctx, ref: RepoRef, rest: string[], decode: (s: string) => string): Promise<void> {
  ctx.errorFlavor = 'html';
  const page = await pageContext(ctx);
  const [action, ...args] = rest;
  if (action === 'access') {
    if (args.length) throw new HubError('NotFound', 'Not found');
    return sendHtml(ctx, 200, await accessPage(ctx.hub, page, await getRepo(ctx.hub, page.actor, ref, 'read')));
  }
  if (!signedIn(ctx, page)) return;
  if (action === 'settings') {
    if (args.length) throw new HubError('NotFound', 'Not found');
    return sendHtml(ctx, 200, await repoSettingsPage(ctx.hub, page, await getRepo(ctx.hub, page.actor, ref, 'admin')));
  }
  const row = await getRepo(ctx.hub, page.actor, ref, 'write');
  if (action === 'upload') {
    // The rest is the branch, its '/' sent raw or encoded.
    const branch = args.length ? args.map(decode).join('/') : row.default_branch;
    await resolveBranch(ctx.hub, row, branch);
    return sendHtml(ctx, 200, await uploadPage(ctx.hub, page, row, branch));
  }
  if (action === 'edit') {
    if (args.length < 2) throw new HubError('NotFound', 'A branch and a file path are required');
    const split = splitRevisionAndPath(args);
    const branch = decode(split.revision);
    const filePath = validateRepoPath(split.path.map(decode).join('/'));
    const head = await resolveBranch(ctx.hub, row, branch);
    return sendHtml(ctx, 200, await editPage(ctx.hub, page, row, branch, head, filePath));
  }
  throw new HubError('NotFound', 'Not found');
}
