import { ANONYMOUS, type User } from '../../auth/actor.js';
import type { NewSession } from '../../auth/sessions.js';
import { HubError } from '../../core/errors.js';
import { changePassword, login, logout, signup } from '../../services/accounts.js';
import type { AuditSource } from '../../services/audit.js';
import { readJsonObject } from '../body.js';
import { auditSource, type Ctx } from '../context.js';
import { clearedSessionCookie, sessionCookie } from '../cookies.js';
import { sendJson } from '../respond.js';

function secure(ctx: Ctx): boolean {
  return ctx.baseUrl.startsWith('https:');
}

/**
 * Sign-in and sign-up take JSON only: an HTML form on another site cannot
 * send `application/json`, so it cannot sign a visitor into an account of
 * the attacker's choosing (login CSRF).
 */
async function readJsonForm(ctx: Ctx): Promise<Record<string, unknown>> {
  const type = String(ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new HubError('UnsupportedMediaType', 'Send the body as application/json');
  return readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
}

/**
 * Sign-in and sign-up act for nobody yet: their audit source is anonymous,
 * and a session cookie the browser still holds is not consulted (nor its CSRF).
 */
function anonymousSource(ctx: Ctx): AuditSource {
  return { actor: ANONYMOUS, ip: ctx.clientIp };
}

function signedIn(ctx: Ctx, user: User, session: NewSession): void {
  sendJson(ctx, 200, { name: user.name, csrfToken: session.csrfToken, expiresAt: session.expiresAt }, {
    'Set-Cookie': sessionCookie(session.cookie, session.expiresAt, secure(ctx)),
    'Cache-Control': 'no-store',
  });
}

/**
 * `/api/login`, `/api/logout`, `/api/session`, `/api/signup`: the web UI's
 * sessions. Sign-in answers the CSRF token that cookie-authenticated writes
 * must send back in `X-CSRF-Token`.
 */
export async function accountRoute(ctx: Ctx, what: 'login' | 'logout' | 'session' | 'signup'): Promise<void> {
  if (what === 'session') {
    if (ctx.method !== 'GET') throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
    const actor = await ctx.actor();
    if (actor.kind !== 'user' || !ctx.session) throw new HubError('Unauthorized', 'Not signed in');
    const { user } = actor;
    sendJson(
      ctx, 200,
      { name: user.name, fullname: user.fullname, email: user.email, isAdmin: user.isAdmin, csrfToken: ctx.session.csrfToken, expiresAt: ctx.session.expiresAt },
      { 'Cache-Control': 'no-store' },
    );
    return;
  }
  if (ctx.method !== 'POST') throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
  if (what === 'login') {
    const body = await readJsonForm(ctx);
    // Brute force: attempts per address and user name, counted before the password is checked.
    await ctx.rateLimits?.check(ctx, 'login', String(body.username ?? ''));
    const { user, session } = await login(ctx.hub, anonymousSource(ctx), { username: body.username, password: body.password });
    await ctx.rateLimits?.reset(ctx, 'login', String(body.username ?? ''));
    return signedIn(ctx, user, session);
  }
  if (what === 'signup') {
    const body = await readJsonForm(ctx);
    const { user, session } = await signup(ctx.hub, anonymousSource(ctx), { username: body.username, password: body.password, email: body.email, invite: body.invite });
    return signedIn(ctx, user, session);
  }
  // Logout: resolving the actor checks CSRF for a live session; a stale cookie is simply cleared.
  await ctx.actor();
  await logout(ctx.hub, ctx.session?.idHash);
  sendJson(ctx, 200, {}, { 'Set-Cookie': clearedSessionCookie(secure(ctx)) });
}

/** `POST /api/settings/password` {oldPassword, newPassword}: with a session or a write token; ends the user's other sessions. */
export async function changePasswordRoute(ctx: Ctx): Promise<void> {
  if (ctx.method !== 'POST') throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
  const actor = await ctx.actor();
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated');
  if (actor.token && actor.token.role !== 'write') throw new HubError('Forbidden', 'Changing the password needs a signed-in session or a write token');
  const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
  await changePassword(ctx.hub, await auditSource(ctx), actor.user, ctx.session?.idHash, { oldPassword: body.oldPassword, newPassword: body.newPassword });
  sendJson(ctx, 200, {});
}
