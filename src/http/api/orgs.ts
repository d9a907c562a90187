import { HubError } from '../../core/errors.js';
import { recordAudit } from '../../services/audit.js';
import { createOrg, deleteOrg, findOrg, listMembers, parseRole, removeMember, setMember } from '../../services/orgs.js';
import { readJsonObject } from '../body.js';
import { auditSource, type Ctx } from '../context.js';
import { sendJson } from '../respond.js';

/**
 * `/api/organizations…` (segments already decoded): create an org, read it, manage members and roles.
 * Adding a member is immediate (there is no invitation to accept yet).
 */
export async function orgsRoute(ctx: Ctx, segs: string[]): Promise<void> {
  const [orgRaw, sub, userRaw, extra] = segs;
  if (orgRaw === undefined || orgRaw === '') {
    if (ctx.method !== 'POST') throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed here`);
    const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
    if (typeof body.name !== 'string') throw new HubError('BadRequest', '"name" is required');
    if (body.fullname !== undefined && typeof body.fullname !== 'string') throw new HubError('BadRequest', '"fullname" must be a string');
    const org = await createOrg(ctx.hub.db, await ctx.actor(), { name: body.name, fullname: body.fullname as string | undefined });
    await recordAudit(ctx.hub, await auditSource(ctx), { action: 'org.create', namespace: org.name, target: org.name });
    sendJson(ctx, 200, { type: 'org', name: org.name, fullname: org.fullname, url: `${ctx.baseUrl}/${org.name}` });
    return;
  }
  const orgName = orgRaw;
  if (sub === undefined) {
    if (ctx.method === 'DELETE') {
      await deleteOrg(ctx.hub.db, await ctx.actor(), orgName);
      await recordAudit(ctx.hub, await auditSource(ctx), { action: 'org.delete', namespace: orgName, target: orgName });
      sendJson(ctx, 200, {});
      return;
    }
    if (ctx.method !== 'GET') throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed here`);
    const org = await findOrg(ctx.hub.db, orgName);
    if (!org) throw new HubError('NotFound', `Organization ${orgName} does not exist`);
    sendJson(ctx, 200, { type: 'org', name: org.name, fullname: org.fullname, createdAt: org.createdAt, avatarUrl: `${ctx.baseUrl}/avatars/${encodeURIComponent(org.name)}` });
    return;
  }
  if (sub !== 'members' || extra !== undefined) throw new HubError('NotFound', `Unknown API endpoint ${ctx.rawPath}`);
  if (userRaw === undefined) {
    if (ctx.method !== 'GET') throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed here`);
    sendJson(ctx, 200, await listMembers(ctx.hub.db, await ctx.actor(), orgName));
    return;
  }
  const userName = userRaw;
  const source = await auditSource(ctx);
  if (ctx.method === 'PUT') {
    const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
    const role = parseRole(body.role);
    const { previous } = await setMember(ctx.hub.db, source.actor, orgName, userName, role);
    await recordAudit(ctx.hub, source, {
      action: previous ? 'org.member.role' : 'org.member.add', namespace: orgName, target: userName, details: { role, ...(previous ? { previous } : {}) },
    });
    sendJson(ctx, 200, { user: userName, role });
  } else if (ctx.method === 'DELETE') {
    await removeMember(ctx.hub.db, source.actor, orgName, userName);
    await recordAudit(ctx.hub, source, { action: 'org.member.remove', namespace: orgName, target: userName });
    sendJson(ctx, 200, {});
  } else {
    throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed here`);
  }
}
