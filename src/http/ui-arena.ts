import { HubError } from '../core/errors.js';
import { arenaLeaderboard, findArena, listArenas } from '../services/arena.js';
import { arenaLeaderboardPage, arenaListPage, arenaVotePage } from '../ui/pages/arena.js';
import { seedParam, styleParam } from './api/arena.js';
import type { Ctx } from './context.js';
import { pageContext, sendHtml } from './ui.js';

/** `/arena[/…]` pages (GET/HEAD): segs are the decoded segments after `arena`. */
export async function arenaPageRoute(ctx: Ctx, segs: string[]): Promise<void> {
  ctx.errorFlavor = 'html';
  const page = await pageContext(ctx);
  if (segs.length === 0 || (segs.length === 1 && segs[0] === '')) {
    return sendHtml(ctx, 200, arenaListPage(page, await listArenas(ctx.hub, page.actor)));
  }
  if (segs.length === 2) {
    const row = await findArena(ctx.hub, page.actor, segs[0]!, segs[1]!);
    return sendHtml(ctx, 200, arenaVotePage(page, row));
  }
  if (segs.length === 3 && segs[2] === 'leaderboard') {
    const row = await findArena(ctx.hub, page.actor, segs[0]!, segs[1]!);
    const board = await arenaLeaderboard(ctx.hub, row, { style: styleParam(ctx), seed: seedParam(ctx) });
    return sendHtml(ctx, 200, arenaLeaderboardPage(page, row, board));
  }
  throw new HubError('NotFound', `Unknown page ${ctx.rawPath}`);
}
