import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import type { Ctx } from './context.js';

/** `/{P}{repo}/model-tree` page (GET/HEAD): rest are the raw segments after `model-tree`. */
export async function lineagePageRoute(ctx: Ctx, ref: RepoRef, rest: string[], decode: (s: string) => string): Promise<void> {
  void ref; void rest; void decode;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
