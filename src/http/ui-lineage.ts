import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import { isRelation } from '../services/lineage-index.js';
import { getRepo } from '../services/repos.js';
import { modelTreePage, modelTreeRelationPage } from '../ui/pages/model-tree.js';
import type { Ctx } from './context.js';
import { pageContext, sendHtml } from './ui.js';

/**
 * `/{P}{repo}/model-tree` page (GET/HEAD): the ancestors, the model and its
 * children by relation; `?relation=finetune&p=0` lists every child of one
 * relation. Rest are the raw segments after `model-tree`.
 */
export async function lineagePageRoute(ctx: Ctx, ref: RepoRef, rest: string[], decode: (s: string) => string): Promise<void> {
  void decode;
  ctx.errorFlavor = 'html';
  if (rest.length > 0) throw new HubError('NotFound', 'Not found');
  const page = await pageContext(ctx);
  const row = await getRepo(ctx.hub, page.actor, ref);
  if (row.type !== 'model') throw new HubError('NotFound', 'The model tree exists for models only');
  const q = ctx.url.searchParams;
  const relation = q.get('relation');
  if (relation === null || relation === '') return sendHtml(ctx, 200, await modelTreePage(ctx.hub, page, row));
  if (!isRelation(relation)) throw new HubError('BadRequest', 'Unknown relation: use adapter, finetune, merge or quantized');
  const rawPage = q.get('p');
  if (rawPage !== null && !/^\d{1,6}$/.test(rawPage)) throw new HubError('BadRequest', 'The page number must be 0, 1, …');
  return sendHtml(ctx, 200, await modelTreeRelationPage(ctx.hub, page, row, relation, rawPage === null ? 0 : Number(rawPage)));
}
