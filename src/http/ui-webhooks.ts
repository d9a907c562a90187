import { HubError } from '../core/errors.js';
import { webhookPage, webhooksPage } from '../ui/pages/webhooks.js';
import type { Ctx } from './context.js';
import { pageContext, sendHtml } from './ui.js';

/**
 * `/settings/webhooks[/…]` pages (GET/HEAD): segs are the decoded segments
 * after `webhooks`. Anonymous visitors are sent to sign in first; someone
 * else's webhook is a 404 like a missing one. Writes go through the JSON API
 * from `/static/webhooks.js`.
 */
export async function webhooksPageRoute(ctx: Ctx, segs: string[]): Promise<void> {
  ctx.errorFlavor = 'html';
  const page = await pageContext(ctx);
  if (page.actor.kind !== 'user') {
    ctx.res.writeHead(302, { Location: `/login?next=${encodeURIComponent(ctx.rawPath + ctx.url.search)}`, 'Content-Length': '0', 'Cache-Control': 'no-store' });
    ctx.res.end();
    return;
  }
  const signedIn = { ...page, actor: page.actor };
  if (segs.length === 0 || (segs.length === 1 && segs[0] === '')) return sendHtml(ctx, 200, await webhooksPage(ctx.hub, signedIn));
  if (segs.length === 1) {
    const n = Number(ctx.url.searchParams.get('page') ?? '0');
    const pageNo = Number.isSafeInteger(n) && n >= 0 && n < 100_000 ? n : 0;
    return sendHtml(ctx, 200, await webhookPage(ctx.hub, signedIn, segs[0]!, pageNo));
  }
  throw new HubError('NotFound', 'Not found');
}
