import type { Actor, TokenInfo } from '../../auth/actor.js';
import { createToken, parseScopes } from '../../auth/tokens.js';
import { HubError } from '../../core/errors.js';
import { recordAudit } from '../../services/audit.js';
import { readJsonObject } from '../body.js';
import { auditSource, type Ctx } from '../context.js';
import { sendJson } from '../respond.js';

/** Token management needs a browser session or a write token: a narrower token cannot mint a broader one. */
function owner(actor: Actor): Extract<Actor, { kind: 'user' }> {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated');
  if (actor.token && actor.token.role !== 'write') throw new HubError('Forbidden', 'Managing tokens needs a write token or a signed-in session');
  return actor;
}

function present(t: TokenInfo & { lastUsedAt: string | null }): Record<string, unknown> {
  return {
    id: t.id,
    displayName: t.displayName,
    role: t.role,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    expiresAt: t.expiresAt,
    ...(t.scopes ? { fineGrained: t.scopes } : {}),
  };
}

/**
 * `/api/settings/tokens[/{id}]`: list your tokens (never their values),
 * create one (its value is shown once), revoke one. Another user's token id
 * answers 404, like a missing one.
 */
export async function tokensRoute(ctx: Ctx, id: string | undefined): Promise<void> {
  const actor = owner(await ctx.actor());
  const db = ctx.hub.db;
  if (id === undefined && ctx.method === 'GET') {
    const rows = await db.selectFrom('tokens').selectAll().where('user_id', '=', actor.user.id).orderBy('created_at', 'desc').execute();
    sendJson(ctx, 200, rows.map((r) => present({
      id: r.id, displayName: r.display_name, role: r.role, createdAt: r.created_at, lastUsedAt: r.last_used_at,
      expiresAt: r.expires_at, scopes: r.scopes ? JSON.parse(r.scopes) : null,
    })));
    return;
  }
  if (id === undefined && ctx.method === 'POST') {
    const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
    const role = body.role ?? 'read';
    if (role !== 'read' && role !== 'write' && role !== 'fineGrained') throw new HubError('BadRequest', 'role must be "read", "write" or "fineGrained"');
    const displayName = body.displayName ?? body.name;
    if (typeof displayName !== 'string' || displayName.trim() === '') throw new HubError('BadRequest', '"displayName" is required');
    let expiresAt: string | null = null;
    if (body.expiresAt !== undefined && body.expiresAt !== null) {
      if (typeof body.expiresAt !== 'string' || Number.isNaN(Date.parse(body.expiresAt))) throw new HubError('BadRequest', 'expiresAt must be an ISO date');
      expiresAt = new Date(body.expiresAt).toISOString();
    } else if (body.expiresInDays !== undefined && body.expiresInDays !== null) {
      const d = body.expiresInDays;
      if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0 || d > 3650) throw new HubError('BadRequest', 'expiresInDays must be a number of days between 0 and 3650');
      expiresAt = new Date(Date.now() + d * 86_400_000).toISOString();
    }
    if (expiresAt && Date.parse(expiresAt) <= Date.now()) throw new HubError('BadRequest', 'expiresAt is in the past');
    const scopes = role === 'fineGrained' ? parseScopes(body.fineGrained ?? body.scopes) : null;
    const { token, info } = await createToken(db, actor.user.id, { role, displayName, expiresAt, scopes });
    await recordAudit(ctx.hub, await auditSource(ctx), { action: 'token.create', namespace: actor.user.name, target: info.id, details: { role, displayName: info.displayName, expiresAt } });
    sendJson(ctx, 200, { token, ...present({ ...info, lastUsedAt: null }) });
    return;
  }
  if (id !== undefined && ctx.method === 'DELETE') {
    const deleted = await db.deleteFrom('tokens').where('id', '=', id).where('user_id', '=', actor.user.id).executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw new HubError('NotFound', 'No such token');
    await recordAudit(ctx.hub, await auditSource(ctx), { action: 'token.revoke', namespace: actor.user.name, target: id });
    sendJson(ctx, 200, {});
    return;
  }
  throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed here`);
}
