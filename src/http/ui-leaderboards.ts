import { HubError } from '../core/errors.js';
import type { Ctx } from './context.js';

/** `/leaderboards[/…]` pages (GET/HEAD): segs are the decoded segments after `leaderboards`. */
export async function leaderboardsPageRoute(ctx: Ctx, segs: string[]): Promise<void> {
  void segs;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
