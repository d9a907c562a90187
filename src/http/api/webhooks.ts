import { HubError } from '../../core/errors.js';
import { recordAudit } from '../../services/audit.js';
import {
  createWebhook, deleteWebhook, getDelivery, getWebhook, listDeliveries, listWebhooks, redeliver, setWebhookDisabled, updateWebhook, type WebhookInfo,
} from '../../services/webhooks.js';
import { readJsonObject } from '../body.js';
import { auditSource, type Ctx } from '../context.js';
import { decodeCursor, encodeCursor, nextLink, pageSize, sendJson } from '../respond.js';

function allow(ctx: Ctx, ...methods: string[]): void {
  if (!methods.includes(ctx.method)) throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
}

async function audit(ctx: Ctx, action: string, webhook: Pick<WebhookInfo, 'id' | 'url'>): Promise<void> {
  const source = await auditSource(ctx);
  await recordAudit(ctx.hub, source, {
    action,
    namespace: source.actor.kind === 'user' ? source.actor.user.name : null,
    target: webhook.id,
    details: { url: webhook.url },
  });
}

/**
 * `/api/settings/webhooks[/…]`, as `huggingface_hub`'s webhook functions
 * call it, plus the delivery log and redelivery:
 *
 * - `GET` list, `POST` create `{watched, url, domains?, secret?}` → `{webhook}`
 * - `GET|POST|DELETE /{id}`: get, update, delete
 * - `POST /{id}/enable`, `POST /{id}/disable`
 * - `GET /{id}/deliveries[?limit&cursor]`, `GET /{id}/deliveries/{deliveryId}`
 * - `POST /{id}/deliveries/{deliveryId}/redeliver`
 */
export async function webhooksApiRoute(ctx: Ctx, segs: string[]): Promise<void> {
  const hub = ctx.hub;
  const [id, action, deliveryId, sub, ...extra] = segs;
  if (extra.length) throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
  if (id === undefined || id === '') {
    allow(ctx, 'GET', 'POST');
    if (ctx.method === 'GET') return sendJson(ctx, 200, await listWebhooks(hub, await ctx.actor()));
    const body = await readJsonObject(ctx.req, hub.limits.maxJsonBodyBytes);
    const webhook = await createWebhook(hub, await ctx.actor(), body);
    await audit(ctx, 'webhook.create', webhook);
    return sendJson(ctx, 200, { webhook });
  }
  if (action === undefined) {
    allow(ctx, 'GET', 'POST', 'PUT', 'DELETE');
    if (ctx.method === 'GET') return sendJson(ctx, 200, { webhook: await getWebhook(hub, await ctx.actor(), id) });
    if (ctx.method === 'DELETE') {
      const webhook = await getWebhook(hub, await ctx.actor(), id);
      await deleteWebhook(hub, await ctx.actor(), id);
      await audit(ctx, 'webhook.delete', webhook);
      return sendJson(ctx, 200, {});
    }
    const body = await readJsonObject(ctx.req, hub.limits.maxJsonBodyBytes);
    const webhook = await updateWebhook(hub, await ctx.actor(), id, body);
    await audit(ctx, 'webhook.update', webhook);
    return sendJson(ctx, 200, { webhook });
  }
  if ((action === 'enable' || action === 'disable') && deliveryId === undefined) {
    allow(ctx, 'POST');
    const webhook = await setWebhookDisabled(hub, await ctx.actor(), id, action === 'disable');
    await audit(ctx, `webhook.${action}`, webhook);
    return sendJson(ctx, 200, { webhook });
  }
  if (action === 'deliveries') {
    if (deliveryId === undefined) {
      allow(ctx, 'GET');
      const limit = pageSize(ctx, 50, 200);
      const offset = decodeCursor(ctx.url.searchParams.get('cursor'));
      const page = await listDeliveries(hub, await ctx.actor(), id, offset, limit);
      return sendJson(ctx, 200, page.deliveries, page.hasMore ? { Link: nextLink(ctx, encodeCursor(offset + limit)) } : {});
    }
    if (sub === undefined) {
      allow(ctx, 'GET');
      return sendJson(ctx, 200, { delivery: await getDelivery(hub, await ctx.actor(), id, deliveryId) });
    }
    if (sub === 'redeliver') {
      allow(ctx, 'POST');
      return sendJson(ctx, 200, { delivery: await redeliver(hub, await ctx.actor(), id, deliveryId) });
    }
  }
  throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
}
