import { HubError } from '../../core/errors.js';
import {
  createLeaderboard,
  deleteLeaderboard,
  findLeaderboard,
  leaderboardTable,
  listLeaderboards,
  updateLeaderboard,
  type LeaderboardRow,
  visibleDefinition,
} from '../../services/leaderboards.js';
import { readJsonObject } from '../body.js';
import type { Ctx } from '../context.js';
import { sendJson } from '../respond.js';

function methodIs(ctx: Ctx, ...methods: string[]): void {
  if (!methods.includes(ctx.method)) throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
}

/** A leaderboard definition as the API shows it. */
export async function leaderboardJson(ctx: Ctx, row: LeaderboardRow): Promise<Record<string, unknown>> {
  const def = await visibleDefinition(ctx.hub, await ctx.actor(), row);
  return {
    id: `${row.namespace}/${row.slug}`,
    namespace: row.namespace,
    slug: row.slug,
    title: row.title,
    description: row.description,
    private: row.private === 1,
    ...def,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    url: `${ctx.baseUrl}/leaderboards/${row.namespace}/${row.slug}`,
  };
}

const body = (ctx: Ctx): Promise<Record<string, unknown>> => readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);

/** `?seed=` as an integer (the stats library checks its range). */
export function seedParam(ctx: Ctx): number | undefined {
  const s = ctx.url.searchParams.get('seed');
  if (s === null || s === '') return undefined;
  if (!/^\d{1,10}$/.test(s)) throw new HubError('BadRequest', '"seed" must be an integer between 0 and 4294967295');
  return Number(s);
}

/** `?pareto=a,b[,c]` (empty = the leaderboard's default view). */
export function paretoParam(ctx: Ctx): string[] | undefined {
  const all = ctx.url.searchParams.getAll('pareto').flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
  return all.length ? all : undefined;
}

/**
 * `/api/leaderboards[/…]` (docs/leaderboards.md), segments after `leaderboards`:
 * - `[]`: GET list (`owner`), POST create;
 * - `[ns, slug]`: GET, PATCH, DELETE;
 * - `[ns, slug, 'results']`: GET the computed table (`family`, `pareto`, `seed`),
 *   with `X-Orchard-Cache: hit|miss`.
 */
export async function leaderboardsApiRoute(ctx: Ctx, segs: string[]): Promise<void> {
  const actor = await ctx.actor();
  if (segs.length === 0 || (segs.length === 1 && segs[0] === '')) {
    methodIs(ctx, 'GET', 'HEAD', 'POST');
    if (ctx.method === 'POST') return sendJson(ctx, 200, await leaderboardJson(ctx, await createLeaderboard(ctx.hub, actor, await body(ctx))));
    const rows = await listLeaderboards(ctx.hub, actor, ctx.list('owner'));
    return sendJson(ctx, 200, await Promise.all(rows.map((r) => leaderboardJson(ctx, r))));
  }
  if (segs.length < 2 || segs.length > 3 || (segs.length === 3 && segs[2] !== 'results')) throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
  const [ns, slug] = segs as [string, string];
  if (segs.length === 3) {
    methodIs(ctx, 'GET', 'HEAD');
    const row = await findLeaderboard(ctx.hub, actor, ns, slug);
    const family = ctx.url.searchParams.get('family') || undefined;
    const table = await leaderboardTable(ctx.hub, actor, row, { family, pareto: paretoParam(ctx), seed: seedParam(ctx) });
    return sendJson(ctx, 200, { leaderboard: await leaderboardJson(ctx, row), ...table }, { 'X-Orchard-Cache': table.cache });
  }
  methodIs(ctx, 'GET', 'HEAD', 'PATCH', 'DELETE');
  if (ctx.method === 'PATCH') return sendJson(ctx, 200, await leaderboardJson(ctx, await updateLeaderboard(ctx.hub, actor, ns, slug, await body(ctx))));
  if (ctx.method === 'DELETE') {
    await deleteLeaderboard(ctx.hub, actor, ns, slug);
    return sendJson(ctx, 200, {});
  }
  return sendJson(ctx, 200, await leaderboardJson(ctx, await findLeaderboard(ctx.hub, actor, ns, slug)));
}
