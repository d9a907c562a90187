import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import type { Ctx } from './context.js';

/** `/{P}{repo}/evals[/…]` pages (GET/HEAD): rest are the raw segments after `evals`. */
export async function evalsPageRoute(ctx: Ctx, ref: RepoRef, rest: string[], decode: (s: string) => string): Promise<void> {
  void ref; void rest; void decode;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
