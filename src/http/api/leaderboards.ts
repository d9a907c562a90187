import { HubError } from '../../core/errors.js';
import type { Ctx } from '../context.js';

/** `/api/leaderboards[/…]`: segs are the decoded segments after `leaderboards`. */
export async function leaderboardsApiRoute(ctx: Ctx, segs: string[]): Promise<void> {
  void segs;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
