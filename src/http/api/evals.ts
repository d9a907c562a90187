import { HubError } from '../../core/errors.js';
import type { RepoRef } from '../../core/repo-id.js';
import type { Ctx } from '../context.js';

/** `/api/{T}/{repo}/evals[/…]`: args are the decoded segments after `evals`. */
export async function evalsRoute(ctx: Ctx, ref: RepoRef, args: string[]): Promise<void> {
  void ref; void args;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
