import { HubError } from '../core/errors.js';
import type { Ctx } from './context.js';

/** `/settings/webhooks[/…]` pages (GET/HEAD): segs are the decoded segments after `webhooks`. */
export async function webhooksPageRoute(ctx: Ctx, segs: string[]): Promise<void> {
  void segs;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
