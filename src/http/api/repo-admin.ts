import { HubError } from '../../core/errors.js';
import { makeRepoRef, parseRepoId, parseRepoType, type RepoRef } from '../../core/repo-id.js';
import { createRepo, deleteRepo, moveRepo, updateSettings, type RepoSettings } from '../../services/repos.js';
import { readJsonObject } from '../body.js';
import { auditSource, type Ctx } from '../context.js';
import { recordAudit } from '../../services/audit.js';
import { acceptPendingRequests } from '../../services/gated.js';
import { repoUrl } from '../presenters.js';
import { sendJson } from '../respond.js';

/** How the audit log names a repo: `model:ns/name`. */
export function repoTarget(r: { type: string; namespace: string; name: string }): string {
  return `${r.type}:${r.namespace}/${r.name}`;
}

/** `visibility` (PY ≥ 1.8, JS) or `private` (PY ≤ 1.7); neither means public (spec 5.1). */
function readPrivate(body: Record<string, unknown>): boolean | undefined {
  if (body.visibility !== undefined && body.visibility !== null) {
    if (body.visibility === 'private' || body.visibility === 'protected') return true;
    if (body.visibility === 'public') return false;
    throw new HubError('BadRequest', 'visibility must be "public", "private" or "protected"');
  }
  if (body.private !== undefined && body.private !== null) {
    if (typeof body.private !== 'boolean') throw new HubError('BadRequest', 'private must be a boolean');
    return body.private;
  }
  return undefined;
}

async function callerNamespace(ctx: Ctx, organization: unknown): Promise<string> {
  if (typeof organization === 'string' && organization) return organization;
  const actor = await ctx.actor();
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated to manage repos');
  return actor.user.name;
}

/** `POST /api/repos/create` */
export async function createRepoRoute(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
  const type = parseRepoType(body.type);
  const actor = await ctx.actor();
  let name = body.name;
  let organization = body.organization;
  // Some clients send the full id as the name.
  if (typeof name === 'string' && name.includes('/') && !organization) [organization, name] = name.split('/', 2);
  const ref = makeRepoRef(type, await callerNamespace(ctx, organization), name);
  const url = repoUrl(ctx.baseUrl, ref);
  try {
    const row = await createRepo(ctx.hub, actor, { ref, private: readPrivate(body) ?? false });
    await recordAudit(ctx.hub, await auditSource(ctx), { action: 'repo.create', namespace: row.namespace, target: repoTarget(row), details: { private: row.private === 1 } });
    sendJson(ctx, 200, { url, name: `${row.namespace}/${row.name}`, id: row.id });
  } catch (err) {
    // PY's exist_ok reads `url` from the 409 body (spec 0.7).
    if (err instanceof HubError && err.code === 'Conflict') throw new HubError('Conflict', err.message, { body: { url } });
    throw err;
  }
}

async function refFromBody(ctx: Ctx, body: Record<string, unknown>): Promise<RepoRef> {
  const type = parseRepoType(body.type);
  let name = body.name;
  let organization = body.organization;
  if (typeof name === 'string' && name.includes('/') && !organization) [organization, name] = name.split('/', 2);
  return makeRepoRef(type, await callerNamespace(ctx, organization), name);
}

/** `DELETE /api/repos/delete` */
export async function deleteRepoRoute(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
  const ref = await refFromBody(ctx, body);
  await deleteRepo(ctx.hub, await ctx.actor(), ref);
  await recordAudit(ctx.hub, await auditSource(ctx), { action: 'repo.delete', namespace: ref.namespace, target: repoTarget(ref) });
  sendJson(ctx, 200, {});
}

/** `POST /api/repos/move` */
export async function moveRepoRoute(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
  const type = parseRepoType(body.type);
  const from = parseRepoId(type, body.fromRepo);
  const to = parseRepoId(type, body.toRepo);
  const row = await moveRepo(ctx.hub, await ctx.actor(), from, to);
  const source = await auditSource(ctx);
  await recordAudit(ctx.hub, source, { action: 'repo.move', namespace: from.namespace, target: repoTarget(from), details: { to: repoTarget(to) } });
  if (to.namespace.toLowerCase() !== from.namespace.toLowerCase()) {
    await recordAudit(ctx.hub, source, { action: 'repo.move', namespace: to.namespace, target: repoTarget(to), details: { from: repoTarget(from) } });
  }
  sendJson(ctx, 200, { url: repoUrl(ctx.baseUrl, row) });
}

/** `PUT /api/{T}/{repo}/settings` */
export async function updateSettingsRoute(ctx: Ctx, ref: RepoRef): Promise<void> {
  const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
  const settings: RepoSettings = {};
  const priv = readPrivate(body);
  if (priv !== undefined) settings.private = priv;
  if (body.gated !== undefined) {
    if (body.gated === false || body.gated === 'auto' || body.gated === 'manual') settings.gated = body.gated;
    else throw new HubError('BadRequest', 'gated must be false, "auto" or "manual"');
  }
  const row = await updateSettings(ctx.hub, await ctx.actor(), ref, settings);
  await recordAudit(ctx.hub, await auditSource(ctx), { action: 'repo.settings', namespace: row.namespace, target: repoTarget(row), details: { ...settings } });
  // In auto mode anyone who asks is let in, so those already waiting are too (src/services/gated.ts).
  if (settings.gated === 'auto') await acceptPendingRequests(ctx.hub, await auditSource(ctx), row);
  sendJson(ctx, 200, { private: row.private === 1, gated: row.gated ?? false });
}
