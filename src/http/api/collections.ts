import { HubError } from '../../core/errors.js';
import type { Ctx } from '../context.js';

/** `/api/collections[/…]`: segs are the decoded segments after `collections`. */
export async function collectionsApiRoute(ctx: Ctx, segs: string[]): Promise<void> {
  void segs;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
