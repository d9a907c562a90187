import { isSiteAdmin } from '../../auth/policy.js';
import { HubError } from '../../core/errors.js';
import { parseSize } from '../../core/sizes.js';
import { recordAudit } from '../../services/audit.js';
import { quotaReport, setQuota } from '../../services/quotas.js';
import { readJsonObject } from '../body.js';
import { auditSource, type Ctx } from '../context.js';
import { sendJson } from '../respond.js';

/** `maxBytes`: bytes, or a size such as "10G"; null or 0 removes the quota. */
function readMaxBytes(value: unknown): number | null {
  if (value === null || value === 0) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string') {
    const parsed = parseSize(value);
    if (parsed !== undefined) return parsed || null;
  }
  throw new HubError('BadRequest', 'maxBytes must be a number of bytes or a size such as "10G", or null to remove the quota');
}

/**
 * `GET|PUT /api/admin/quotas/{namespace}`: site admins set a namespace's
 * upload quota; they and the namespace's own admins read it with its usage.
 */
export async function quotaRoute(ctx: Ctx, namespace: string): Promise<void> {
  const actor = await ctx.actor();
  if (ctx.method === 'GET' || ctx.method === 'HEAD') return sendJson(ctx, 200, await quotaReport(ctx.hub, actor, namespace));
  if (ctx.method !== 'PUT') throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated');
  if (!isSiteAdmin(actor)) throw new HubError('Forbidden', 'Only site admins can set quotas (with a session or a write token)');
  const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
  if (!('maxBytes' in body)) throw new HubError('BadRequest', 'maxBytes is required (null removes the quota)');
  const { report, previous } = await setQuota(ctx.hub, namespace, readMaxBytes(body.maxBytes));
  await recordAudit(ctx.hub, await auditSource(ctx), {
    action: report.maxBytes === null ? 'quota.remove' : 'quota.set',
    namespace: report.namespace,
    target: report.namespace,
    details: { maxBytes: report.maxBytes, previous },
  });
  sendJson(ctx, 200, report);
}
