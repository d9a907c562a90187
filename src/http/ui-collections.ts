import { HubError } from '../core/errors.js';
import { canEditCollection, collectionViews, findCollection, listCollections } from '../services/collections.js';
import { collectionPage, collectionsListPage } from '../ui/pages/collections.js';
import type { Ctx } from './context.js';
import { decodeCursor, encodeCursor } from './respond.js';
import { pageContext, sendHtml } from './ui.js';

const PAGE = 60;

/** `/collections[/…]` pages (GET/HEAD): segs are the decoded segments after `collections`. */
export async function collectionsPageRoute(ctx: Ctx, segs: string[]): Promise<void> {
  ctx.errorFlavor = 'html';
  const page = await pageContext(ctx);
  const actor = page.actor;
  if (segs.length === 2) {
    const row = await findCollection(ctx.hub, actor, segs[0]!, segs[1]!);
    const [view] = await collectionViews(ctx.hub, actor, [row]);
    return sendHtml(ctx, 200, collectionPage(page, view!, canEditCollection(actor, row)));
  }
  const ns = segs[0] || undefined;
  let owner: { name: string; type: 'user' | 'org' } | undefined;
  if (ns) {
    const user = await ctx.hub.db.selectFrom('users').select('name').where('name', '=', ns).executeTakeFirst();
    const org = user ? undefined : await ctx.hub.db.selectFrom('orgs').select('name').where('name_lc', '=', ns.toLowerCase()).executeTakeFirst();
    if (!user && !org) throw new HubError('NotFound', `There is no user or organization named ${ns}`);
    owner = user ? { name: user.name, type: 'user' } : { name: org!.name, type: 'org' };
  }
  const offset = decodeCursor(ctx.url.searchParams.get('cursor'));
  const { rows, hasMore } = await listCollections(ctx.hub, actor, {
    owner: owner ? [owner.name] : [],
    item: [],
    q: ctx.url.searchParams.get('q') ?? undefined,
    sort: owner ? 'position' : 'lastModified',
    offset,
    limit: PAGE,
  });
  const views = await collectionViews(ctx.hub, actor, rows, 4);
  const more = hasMore ? `${ctx.rawPath}?cursor=${encodeCursor(offset + PAGE)}` : undefined;
  sendHtml(ctx, 200, collectionsListPage(page, views, owner, more));
}
