import { listAudit } from '../../services/audit.js';
import type { Ctx } from '../context.js';
import { decodeCursor, encodeCursor, nextLink, pageSize, sendJson } from '../respond.js';

/** `GET /api/audit[?namespace=…]`: site admins read all, org admins their org, newest first, `Link` pages. */
export async function auditRoute(ctx: Ctx): Promise<void> {
  const limit = pageSize(ctx, 100, 1000);
  const offset = decodeCursor(ctx.url.searchParams.get('cursor'));
  const { entries, hasMore } = await listAudit(ctx.hub, await ctx.actor(), {
    namespace: ctx.url.searchParams.get('namespace') ?? undefined,
    offset,
    limit,
  });
  sendJson(ctx, 200, entries, hasMore ? { Link: nextLink(ctx, encodeCursor(offset + limit)) } : {});
}
