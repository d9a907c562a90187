import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import { getRepo } from '../services/repos.js';
import { evalsPage } from '../ui/pages/evals.js';
import type { Ctx } from './context.js';
import { pageContext, sendHtml } from './ui.js';

/** `/{P}{repo}/evals` page (GET/HEAD): a model's evaluation results. Rest are the raw segments after `evals`. */
export async function evalsPageRoute(ctx: Ctx, ref: RepoRef, rest: string[], decode: (s: string) => string): Promise<void> {
  void decode;
  ctx.errorFlavor = 'html';
  if (rest.length > 0) throw new HubError('NotFound', 'Not found');
  const page = await pageContext(ctx);
  // A private repo answers exactly like a missing one (getRepo).
  const row = await getRepo(ctx.hub, page.actor, ref);
  if (row.type !== 'model') throw new HubError('NotFound', 'Evaluation results are shown for models only');
  sendHtml(ctx, 200, await evalsPage(ctx.hub, page, row));
}
