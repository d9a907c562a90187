import { deleteAccount, listAccounts, requireAccount, setAdmin, setDisabled, setPassword, storePasswordHash, type UserAccount } from '../auth/accounts.js';
import type { Actor, User } from '../auth/actor.js';
import { checkNewPassword, hashPassword } from '../auth/passwords.js';
import { isSiteAdmin } from '../auth/policy.js';
import { createInvite, getSignupMode, setSignupMode, type SignupMode } from '../auth/signup.js';
import { createUser } from '../auth/users.js';
import { HubError } from '../core/errors.js';
import { parseEmail } from './accounts.js';
import { type AuditSource, recordAudit } from './audit.js';
import type { Hub } from './hub.js';

/** These services only need the database, so that the CLI (which has no running hub) calls them too. */
type HubDb = Pick<Hub, 'db'>;

/** Site administration: 401 for anonymous callers, 403 for everyone but site admins. */
export function requireSiteAdmin(actor: Actor): User {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated');
  if (!isSiteAdmin(actor)) throw new HubError('Forbidden', 'Only site admins can do this (with a session or a write token)');
  return actor.user;
}

export async function adminListUsers(hub: HubDb, actor: Actor, page: { offset: number; limit: number }): Promise<{ accounts: UserAccount[]; hasMore: boolean }> {
  requireSiteAdmin(actor);
  return listAccounts(hub.db, page);
}

export interface NewUserInput {
  name: unknown;
  password?: unknown;
  email?: unknown;
  fullname?: unknown;
  admin?: unknown;
}

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new HubError('BadRequest', `"${field}" must be a boolean`);
  return value;
}

export async function adminCreateUser(hub: HubDb, source: AuditSource, input: NewUserInput): Promise<UserAccount> {
  requireSiteAdmin(source.actor);
  if (typeof input.name !== 'string') throw new HubError('BadRequest', '"name" must be a string');
  if (input.fullname !== undefined && (typeof input.fullname !== 'string' || input.fullname.length > 200)) throw new HubError('BadRequest', '"fullname" must be a string');
  const email = parseEmail(input.email);
  const admin = optionalBoolean(input.admin, 'admin') ?? false;
  // Hashed before the transaction: it takes a while, and SQLite has one connection.
  const hash = input.password === undefined || input.password === null ? undefined : await hashPassword(checkNewPassword(input.password));
  const user = await hub.db.transaction().execute(async (trx) => {
    const created = await createUser(trx, {
      name: input.name as string, isAdmin: admin, ...(email ? { email } : {}), ...(typeof input.fullname === 'string' ? { fullname: input.fullname } : {}),
    });
    if (hash !== undefined) await storePasswordHash(trx, created.id, hash);
    return created;
  });
  await recordAudit(hub, source, { action: 'user.create', namespace: user.name, target: user.name, details: { admin, password: hash !== undefined } });
  return requireAccount(hub.db, user.name);
}

/**
 * Disables / enables an account and grants / revokes site admin. Admins
 * cannot do either to themselves, so that nobody locks the site out by
 * mistake (the CLI can still repair anything).
 */
export async function adminUpdateUser(hub: HubDb, source: AuditSource, name: string, patch: { disabled?: unknown; admin?: unknown }): Promise<UserAccount> {
  const me = requireSiteAdmin(source.actor);
  const disabled = optionalBoolean(patch.disabled, 'disabled');
  const admin = optionalBoolean(patch.admin, 'admin');
  if (disabled === undefined && admin === undefined) throw new HubError('BadRequest', 'Nothing to change: send "disabled" and/or "admin"');
  const account = await requireAccount(hub.db, name);
  const self = account.user.id === me.id;
  if (self && (disabled === true || admin === false)) throw new HubError('Conflict', 'You cannot disable yourself or remove your own admin rights');
  const target = account.user.name;
  if (disabled !== undefined && disabled !== account.disabled) {
    await setDisabled(hub.db, account.user.id, disabled);
    await recordAudit(hub, source, { action: disabled ? 'user.disable' : 'user.enable', namespace: target, target });
  }
  if (admin !== undefined && admin !== account.user.isAdmin) {
    await setAdmin(hub.db, account.user.id, admin);
    await recordAudit(hub, source, { action: 'user.admin', namespace: target, target, details: { admin } });
  }
  return requireAccount(hub.db, target);
}

export async function adminDeleteUser(hub: HubDb, source: AuditSource, name: string): Promise<void> {
  const me = requireSiteAdmin(source.actor);
  const account = await requireAccount(hub.db, name);
  if (account.user.id === me.id) throw new HubError('Conflict', 'You cannot delete yourself');
  await deleteAccount(hub.db, account);
  await recordAudit(hub, source, { action: 'user.delete', namespace: account.user.name, target: account.user.name });
}

/** Sets a user's password (CLI `user passwd`) and ends all their sessions. */
export async function adminSetPassword(hub: HubDb, source: AuditSource, name: string, password: unknown): Promise<void> {
  requireSiteAdmin(source.actor);
  const account = await requireAccount(hub.db, name);
  await setPassword(hub.db, account.user.id, password);
  await recordAudit(hub, source, { action: 'user.password.set', namespace: account.user.name, target: account.user.name });
}

export async function adminCreateInvite(hub: HubDb, source: AuditSource, days: number): Promise<{ code: string; expiresAt: string }> {
  const me = requireSiteAdmin(source.actor);
  const invite = await createInvite(hub.db, me.id, days);
  await recordAudit(hub, source, { action: 'invite.create', namespace: null, target: null, details: { expiresAt: invite.expiresAt } });
  return invite;
}

export interface SiteSettings {
  signup: SignupMode;
}

export async function adminGetSettings(hub: HubDb, actor: Actor): Promise<SiteSettings> {
  requireSiteAdmin(actor);
  return { signup: await getSignupMode(hub.db) };
}

export async function adminSetSignupMode(hub: HubDb, source: AuditSource, mode: SignupMode): Promise<SiteSettings> {
  requireSiteAdmin(source.actor);
  const before = await getSignupMode(hub.db);
  await setSignupMode(hub.db, mode);
  await recordAudit(hub, source, { action: 'settings.signup', namespace: null, target: 'signup', details: { from: before, to: mode } });
  return { signup: mode };
}
