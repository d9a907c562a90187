import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import { getDiscussion, type ListQuery, listDiscussions, listEvents, parseNum } from '../services/discussions.js';
import { conflictingFiles, pullRequestFiles, pullRequestState } from '../services/pull-requests.js';
import { getRepo, mayReadContent } from '../services/repos.js';
import { communityListPage, discussionPage, type DetailPage, newDiscussionPage } from '../ui/pages/community.js';
import type { Ctx } from './context.js';
import { pageContext, sendHtml } from './ui.js';

const TYPES = new Set(['all', 'discussion', 'pull_request']);
const STATUSES = new Set(['all', 'open', 'closed', 'merged', 'draft']);

/** The list's filters from the query; a page forgives what the API refuses (unknown values fall back). */
function pageQuery(ctx: Ctx): ListQuery {
  const q = ctx.url.searchParams;
  const p = q.get('p');
  const type = q.get('type') ?? 'all';
  const status = q.get('status') ?? 'open';
  return {
    page: p !== null && /^\d{1,6}$/.test(p) ? Number(p) : 0,
    type: (TYPES.has(type) ? type : 'all') as ListQuery['type'],
    status: (STATUSES.has(status) ? status : 'open') as ListQuery['status'],
    author: q.get('author')?.trim() || undefined,
    search: q.get('search')?.trim().slice(0, 200) || undefined,
  };
}


/** `/{P}{repo}/discussions[/…]` pages (GET/HEAD): rest are the raw segments after `discussions`. */
export async function communityPageRoute(ctx: Ctx, ref: RepoRef, rest: string[], decode: (s: string) => string): Promise<void> {
  ctx.errorFlavor = 'html';
  const page = await pageContext(ctx);
  const row = await getRepo(ctx.hub, page.actor, ref, 'read');
  const segs = rest.map(decode).filter((s, i, all) => !(s === '' && i === all.length - 1));
  if (segs.length === 0) {
    const query = pageQuery(ctx);
    const list = await listDiscussions(ctx.hub, row, query);
    const counts = new Map<string, number>();
    if (list.rows.length) {
      const rows = await ctx.hub.db
        .selectFrom('discussion_events')
        .select(['discussion_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('discussion_id', 'in', list.rows.map((r) => r.id))
        .where('type', '=', 'comment')
        .groupBy('discussion_id')
        .execute();
      for (const r of rows) counts.set(r.discussion_id, Number(r.n));
    }
    return sendHtml(ctx, 200, await communityListPage(ctx.hub, page, row, { ...list, comments: counts, query }));
  }
  if (segs.length !== 1) throw new HubError('NotFound', 'Not found');
  if (segs[0] === 'new') {
    if (page.actor.kind !== 'user') {
      ctx.res.writeHead(302, { Location: `/login?next=${encodeURIComponent(ctx.rawPath)}`, 'Content-Length': '0', 'Cache-Control': 'no-store' });
      ctx.res.end();
      return;
    }
    return sendHtml(ctx, 200, await newDiscussionPage(ctx.hub, page, row));
  }
  let num: number;
  try {
    num = parseNum(segs[0]!);
  } catch {
    throw new HubError('NotFound', 'Not found');
  }
  const discussion = await getDiscussion(ctx.hub, row, num);
  const detail: DetailPage = { discussion, events: await listEvents(ctx.hub, discussion.id) };
  if (discussion.is_pull_request) {
    const state = await pullRequestState(ctx.hub, row, discussion);
    const [conflicts, files] = await Promise.all([conflictingFiles(ctx.hub, row, discussion, state), pullRequestFiles(ctx.hub, row, state)]);
    detail.pr = { state, conflicts, ...files, showContent: await mayReadContent(ctx.hub, await ctx.actor(), ref) };
  }
  return sendHtml(ctx, 200, await discussionPage(ctx.hub, page, row, detail));
}
