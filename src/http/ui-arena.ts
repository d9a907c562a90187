import { HubError } from '../core/errors.js';
import type { Ctx } from './context.js';

/** `/arena[/…]` pages (GET/HEAD): segs are the decoded segments after `arena`. */
export async function arenaPageRoute(ctx: Ctx, segs: string[]): Promise<void> {
  void segs;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
