import { HubError } from '../../core/errors.js';
import type { RepoRef } from '../../core/repo-id.js';
import type { Ctx } from '../context.js';

/** `/api/{T}/{repo}/like|likers|downloads[/…]`. */
export async function repoSocialRoute(ctx: Ctx, ref: RepoRef, action: 'like' | 'likers' | 'downloads', args: string[]): Promise<void> {
  void ref; void action; void args;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}

/** `/api/users/{user}/likes`. */
export async function userLikesRoute(ctx: Ctx, user: string): Promise<void> {
  void user;
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
