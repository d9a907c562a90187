import { HubError } from '../core/errors.js';
import type { Ctx } from './context.js';

/** `/collections[/…]` pages (GET/HEAD): segs are the decoded segments after `collections`. */
export async function collectionsPageRoute(ctx: Ctx, segs: string[]): Promise<void> {
  void segs;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
