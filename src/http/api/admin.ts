import type { UserAccount } from '../../auth/accounts.js';
import { parseInviteDays, parseSignupMode } from '../../auth/signup.js';
import { HubError } from '../../core/errors.js';
import {
  adminCreateInvite, adminCreateUser, adminDeleteUser, adminGetSettings, adminListUsers, adminSetSignupMode, adminUpdateUser, requireSiteAdmin,
} from '../../services/user-admin.js';
import { readJsonObject } from '../body.js';
import { auditSource, type Ctx } from '../context.js';
import { decodeCursor, encodeCursor, nextLink, pageSize, sendJson } from '../respond.js';

/** What an admin sees of an account: never the hash, only whether there is one. */
function presentAccount(a: UserAccount): Record<string, unknown> {
  const { user } = a;
  return {
    id: user.id, name: user.name, fullname: user.fullname, email: user.email, isAdmin: user.isAdmin,
    disabled: a.disabled, hasPassword: a.passwordHash !== null, createdAt: user.createdAt,
  };
}

function allow(ctx: Ctx, ...methods: string[]): void {
  if (!methods.includes(ctx.method)) throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
}

/**
 * `/api/admin/…` (segments already decoded): users, invites and site
 * settings, for site admins only (a session or a write token of a user with
 * `is_admin`; 401 anonymous, 403 others).
 */
export async function adminRoute(ctx: Ctx, segs: string[]): Promise<void> {
  const [what, name] = segs;
  // Authorise before reading anything, so that others learn nothing from validation errors (the services check again).
  requireSiteAdmin(await ctx.actor());
  const body = async (): Promise<Record<string, unknown>> => readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
  if (what === 'users' && segs.length === 1) {
    allow(ctx, 'GET', 'POST');
    if (ctx.method === 'GET') {
      const limit = pageSize(ctx, 100, 1000);
      const offset = decodeCursor(ctx.url.searchParams.get('cursor'));
      const { accounts, hasMore } = await adminListUsers(ctx.hub, await ctx.actor(), { offset, limit });
      return sendJson(ctx, 200, accounts.map(presentAccount), hasMore ? { Link: nextLink(ctx, encodeCursor(offset + limit)) } : {});
    }
    const source = await auditSource(ctx);
    const b = await body();
    return sendJson(ctx, 200, presentAccount(await adminCreateUser(ctx.hub, source, { name: b.name, password: b.password, email: b.email, fullname: b.fullname, admin: b.admin })));
  }
  if (what === 'users' && segs.length === 2) {
    allow(ctx, 'PUT', 'DELETE');
    const source = await auditSource(ctx);
    if (ctx.method === 'DELETE') {
      await adminDeleteUser(ctx.hub, source, name!);
      return sendJson(ctx, 200, {});
    }
    const b = await body();
    return sendJson(ctx, 200, presentAccount(await adminUpdateUser(ctx.hub, source, name!, { disabled: b.disabled, admin: b.admin })));
  }
  if (what === 'invites' && segs.length === 1) {
    allow(ctx, 'POST');
    const source = await auditSource(ctx);
    const b = await body();
    return sendJson(ctx, 200, await adminCreateInvite(ctx.hub, source, parseInviteDays(b.days)));
  }
  if (what === 'settings' && segs.length === 1) {
    allow(ctx, 'GET', 'PUT');
    if (ctx.method === 'GET') return sendJson(ctx, 200, await adminGetSettings(ctx.hub, await ctx.actor()));
    const source = await auditSource(ctx);
    const b = await body();
    return sendJson(ctx, 200, await adminSetSignupMode(ctx.hub, source, parseSignupMode(b.signup)));
  }
  throw new HubError('NotFound', `Unknown API endpoint ${ctx.rawPath}`);
}
