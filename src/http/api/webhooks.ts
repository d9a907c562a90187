import { HubError } from '../../core/errors.js';
import type { Ctx } from '../context.js';

/** `/api/settings/webhooks[/…]`: segs are the decoded segments after `webhooks`. */
export async function webhooksApiRoute(ctx: Ctx, segs: string[]): Promise<void> {
  void segs;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
