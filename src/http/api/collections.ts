import { HubError } from '../../core/errors.js';
import { typePrefix } from '../../core/repo-id.js';
import {
  addItem,
  collectionSlug,
  collectionViews,
  createCollection,
  deleteCollection,
  deleteItem,
  findCollection,
  listCollections,
  updateCollection,
  updateItem,
  type CollectionRow,
  type CollectionView,
} from '../../services/collections.js';
import { renderMarkdown } from '../../ui/markdown.js';
import { readJsonObject } from '../body.js';
import type { Ctx } from '../context.js';
import { decodeCursor, encodeCursor, nextLink, pageSize, sendJson } from '../respond.js';

function methodIs(ctx: Ctx, ...methods: string[]): void {
  if (!methods.includes(ctx.method)) throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
}

/** The Hub's collection JSON (huggingface.js `ApiCollectionInfo`, PY `Collection`). */
export function collectionJson(ctx: Ctx, view: CollectionView): Record<string, unknown> {
  const { row } = view;
  const slug = collectionSlug(row);
  return {
    slug,
    title: row.title,
    description: row.description ?? undefined,
    owner: { name: row.namespace, type: view.ownerType, fullname: view.ownerFullname, avatarUrl: `${ctx.baseUrl}/avatars/${encodeURIComponent(row.namespace)}`, isHf: false, isHfAdmin: false, isMod: false },
    items: view.items.map((i) => {
      const r = i.repo;
      return {
        _id: i.id,
        id: `${r.namespace}/${r.name}`,
        type: r.type,
        repoType: r.type,
        position: i.position,
        // PY reads note.text; the html is the note rendered and sanitised like any user Markdown.
        note: i.note === null ? null : { text: i.note, html: renderMarkdown(i.note) },
        author: r.namespace,
        downloads: r.downloads,
        likes: r.likes,
        trendingScore: Math.round(r.trending_score),
        private: r.private === 1,
        gated: r.gated ?? false,
        lastModified: r.last_modified,
        ...(r.pipeline_tag ? { pipeline_tag: r.pipeline_tag } : {}),
        isLikedByUser: i.likedByViewer,
        url: `${ctx.baseUrl}/${typePrefix(r.type)}${r.namespace}/${r.name}`,
      };
    }),
    numberItems: view.totalItems,
    lastUpdated: row.updated_at,
    createdAt: row.created_at,
    position: row.position,
    private: row.private === 1,
    theme: row.theme,
    upvotes: 0,
    isUpvotedByUser: false,
    gating: false,
    shareUrl: `${ctx.baseUrl}/collections/${slug}`,
    url: `${ctx.baseUrl}/collections/${slug}`,
  };
}

async function one(ctx: Ctx, row: CollectionRow): Promise<Record<string, unknown>> {
  const [view] = await collectionViews(ctx.hub, await ctx.actor(), [row]);
  return collectionJson(ctx, view!);
}

const body = (ctx: Ctx): Promise<Record<string, unknown>> => readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);

/**
 * `/api/collections[/…]`, segments after `collections`:
 * - `[]`: GET list (`owner`, `item`, `q`, `sort`, `limit`, `Link` pages), POST create;
 * - `[ns, slug]`: GET, PATCH (answers `{data: collection}`, as PY reads it), DELETE;
 * - `[ns, slug, 'items']`: POST add (409 if already there);
 * - `[ns, slug, 'items', itemId]`: PATCH note/position, DELETE.
 */
export async function collectionsApiRoute(ctx: Ctx, segs: string[]): Promise<void> {
  const actor = await ctx.actor();
  if (segs.length === 0 || (segs.length === 1 && segs[0] === '')) {
    methodIs(ctx, 'GET', 'HEAD', 'POST');
    if (ctx.method === 'POST') {
      const b = await body(ctx);
      return sendJson(ctx, 200, await one(ctx, await createCollection(ctx.hub, actor, { title: b.title, namespace: b.namespace, description: b.description, private: b.private })));
    }
    const limit = pageSize(ctx, 20, 100);
    const offset = decodeCursor(ctx.url.searchParams.get('cursor'));
    const sort = ctx.url.searchParams.get('sort') ?? undefined;
    if (sort !== undefined && !['lastModified', 'trending', 'upvotes', 'position'].includes(sort)) throw new HubError('BadRequest', 'sort must be lastModified, trending, upvotes or position');
    const { rows, hasMore } = await listCollections(ctx.hub, actor, {
      owner: ctx.list('owner'),
      item: ctx.list('item'),
      q: ctx.url.searchParams.get('q') ?? undefined,
      sort,
      offset,
      limit,
    });
    // As on the Hub, a listing shows at most 4 items per collection.
    const views = await collectionViews(ctx.hub, actor, rows, 4);
    const headers: Record<string, string> = {};
    if (hasMore) headers.Link = nextLink(ctx, encodeCursor(offset + limit));
    // No `position` in a listing: PY's list_collections passes its own (`Collection(position=i, **item)`).
    return sendJson(ctx, 200, views.map((v) => {
      const { position: _omitted, ...rest } = collectionJson(ctx, v);
      return rest;
    }), headers);
  }
  if (segs.length < 2 || segs.length > 4 || (segs.length >= 3 && segs[2] !== 'items')) throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
  const [ns, slug] = segs as [string, string];
  if (segs.length === 2) {
    methodIs(ctx, 'GET', 'HEAD', 'PATCH', 'DELETE');
    if (ctx.method === 'PATCH') {
      const b = await body(ctx);
      const row = await updateCollection(ctx.hub, actor, ns, slug, { title: b.title, description: b.description, private: b.private, position: b.position, theme: b.theme });
      return sendJson(ctx, 200, { data: await one(ctx, row) });
    }
    if (ctx.method === 'DELETE') {
      await deleteCollection(ctx.hub, actor, ns, slug);
      return sendJson(ctx, 200, {});
    }
    return sendJson(ctx, 200, await one(ctx, await findCollection(ctx.hub, actor, ns, slug)));
  }
  if (segs.length === 3) {
    methodIs(ctx, 'POST');
    const b = await body(ctx);
    return sendJson(ctx, 200, await one(ctx, await addItem(ctx.hub, actor, ns, slug, { item: b.item, note: b.note })));
  }
  const itemId = segs[3]!;
  methodIs(ctx, 'PATCH', 'DELETE');
  if (ctx.method === 'DELETE') {
    await deleteItem(ctx.hub, actor, ns, slug, itemId);
    return sendJson(ctx, 200, {});
  }
  const b = await body(ctx);
  return sendJson(ctx, 200, await one(ctx, await updateItem(ctx.hub, actor, ns, slug, itemId, { note: b.note, position: b.position })));
}
