import { HubError } from '../core/errors.js';
import { canEditLeaderboard, findLeaderboard, leaderboardTable, listLeaderboards, visibleDefinition } from '../services/leaderboards.js';
import { leaderboardPage, leaderboardsListPage } from '../ui/pages/leaderboards.js';
import { paretoParam, seedParam } from './api/leaderboards.js';
import type { Ctx } from './context.js';
import { pageContext, sendHtml } from './ui.js';

/** `/leaderboards[/…]` pages (GET/HEAD): segs are the decoded segments after `leaderboards`. */
export async function leaderboardsPageRoute(ctx: Ctx, segs: string[]): Promise<void> {
  ctx.errorFlavor = 'html';
  const page = await pageContext(ctx);
  const actor = page.actor;
  if (segs.length === 2) {
    const row = await findLeaderboard(ctx.hub, actor, segs[0]!, segs[1]!);
    // The form sends an empty third objective when none is chosen; the API's parser drops empties.
    const table = await leaderboardTable(ctx.hub, actor, row, { family: ctx.url.searchParams.get('family')?.trim() || undefined, pareto: paretoParam(ctx), seed: seedParam(ctx) });
    const sort = ctx.url.searchParams.get('sort') || 'aggregate';
    return sendHtml(ctx, 200, leaderboardPage(page, row, await visibleDefinition(ctx.hub, actor, row), table, sort, canEditLeaderboard(actor, row)));
  }
  if (segs.length > 2) throw new HubError('NotFound', `Unknown page ${ctx.rawPath}`);
  const ns = segs[0] || undefined;
  let owner: string | undefined;
  if (ns) {
    const user = await ctx.hub.db.selectFrom('users').select('name').where('name', '=', ns).executeTakeFirst();
    const org = user ? undefined : await ctx.hub.db.selectFrom('orgs').select('name').where('name_lc', '=', ns.toLowerCase()).executeTakeFirst();
    if (!user && !org) throw new HubError('NotFound', `There is no user or organization named ${ns}`);
    owner = user ? user.name : org!.name;
  }
  sendHtml(ctx, 200, leaderboardsListPage(page, await listLeaderboards(ctx.hub, actor, owner ? [owner] : []), owner));
}
