import { HubError } from '../../core/errors.js';
import type { RepoRef } from '../../core/repo-id.js';
import type { LineageRelation } from '../../db/schema-lineage.js';
import { isRelation } from '../../services/lineage-index.js';
import { childrenPage, fullTree, modelTree, RELATIONS } from '../../services/lineage.js';
import { getRepo } from '../../services/repos.js';
import type { Ctx } from '../context.js';
import { pageSize, sendJson } from '../respond.js';

const CHILDREN_PAGE_SIZE = 50;
const MAX_CHILDREN_PAGE_SIZE = 500;

/**
 * `/api/models/{repo}/model-tree[/…]` (an Orchard extension, docs/model-tree.md):
 * `model-tree` (bases, ancestors, children by relation, counts),
 * `model-tree/children?relation=&p=&limit=` (one page of children),
 * `model-tree/full` (the whole family as nodes and edges).
 * Args are the decoded segments after `model-tree`.
 */
export async function lineageRoute(ctx: Ctx, ref: RepoRef, args: string[]): Promise<void> {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed here`);
  if (args.length > 1 || (args.length === 1 && args[0] !== 'children' && args[0] !== 'full')) {
    throw new HubError('NotFound', `Unknown API endpoint ${ctx.rawPath}`);
  }
  const actor = await ctx.actor();
  // A private repo answers exactly like a missing one (getRepo); only models have a tree.
  const row = await getRepo(ctx.hub, actor, ref);
  if (row.type !== 'model') throw new HubError('NotFound', 'The model tree exists for models only');
  if (args[0] === 'full') return sendJson(ctx, 200, await fullTree(ctx.hub, actor, row));
  if (args[0] === 'children') {
    const q = ctx.url.searchParams;
    const rawRelation = q.get('relation');
    let relation: LineageRelation | undefined;
    if (rawRelation !== null && rawRelation !== '') {
      if (!isRelation(rawRelation)) throw new HubError('BadRequest', `"relation" must be one of ${RELATIONS.join(', ')}`);
      relation = rawRelation;
    }
    const rawPage = q.get('p');
    if (rawPage !== null && !/^\d{1,6}$/.test(rawPage)) throw new HubError('BadRequest', '"p" must be a page number (0, 1, …)');
    const page = rawPage === null ? 0 : Number(rawPage);
    const size = pageSize(ctx, CHILDREN_PAGE_SIZE, MAX_CHILDREN_PAGE_SIZE);
    const { total, items } = await childrenPage(ctx.hub, actor, row, relation, page, size);
    return sendJson(ctx, 200, { id: `${row.namespace}/${row.name}`, relation: relation ?? null, page, pageSize: size, total, items });
  }
  sendJson(ctx, 200, await modelTree(ctx.hub, actor, row));
}
