import { findAccount, findAccountById, setPassword, storePasswordHash } from '../auth/accounts.js';
import type { User } from '../auth/actor.js';
import { burnVerification, checkNewPassword, hashPassword, needsRehash, verifyPassword } from '../auth/passwords.js';
import { createSession, deleteSession, type NewSession } from '../auth/sessions.js';
import { consumeInvite, getSignupMode, inviteIsValid } from '../auth/signup.js';
import { createUser } from '../auth/users.js';
import { HubError } from '../core/errors.js';
import { type AuditSource, recordAudit } from './audit.js';
import type { Hub } from './hub.js';

/** One message for every failed sign-in, so that it does not tell which names exist. */
const LOGIN_FAILED = 'Invalid username or password';

function str(value: unknown, field: string, max = 1024): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw new HubError('BadRequest', `"${field}" must be a non-empty string`);
  return value;
}

/**
 * Password sign-in: a new session, or 401 with the same message whether the
 * user is unknown, has no password, is disabled, or gave the wrong password.
 * Each failure is audited (`namespace` is the user when the name exists).
 */
export async function login(hub: Hub, source: AuditSource, input: { username: unknown; password: unknown }): Promise<{ user: User; session: NewSession }> {
  const username = str(input.username, 'username', 200);
  const password = str(input.password, 'password');
  const account = await findAccount(hub.db, username);
  let reason: string | undefined;
  if (!account || !account.passwordHash || account.disabled) {
    reason = !account ? 'unknown user' : !account.passwordHash ? 'no password' : 'disabled';
    await burnVerification(password);
  } else if (!(await verifyPassword(password, account.passwordHash))) reason = 'wrong password';
  if (reason !== undefined || !account?.passwordHash) {
    await recordAudit(hub, source, {
      action: 'user.login.failed', namespace: account?.user.name ?? null, target: account?.user.name ?? null, details: { reason },
    });
    throw new HubError('Unauthorized', LOGIN_FAILED);
  }
  if (needsRehash(account.passwordHash)) await storePasswordHash(hub.db, account.user.id, await hashPassword(password));
  return { user: account.user, session: await createSession(hub.db, account.user.id) };
}

export async function logout(hub: Hub, sessionIdHash: string | undefined): Promise<void> {
  if (sessionIdHash) await deleteSession(hub.db, sessionIdHash);
}

/**
 * Changes the caller's own password after checking the current one, and ends
 * their other sessions (the one in use, if any, stays).
 */
export async function changePassword(
  hub: Hub, source: AuditSource, user: User, sessionIdHash: string | undefined, input: { oldPassword: unknown; newPassword: unknown },
): Promise<void> {
  const oldPassword = str(input.oldPassword, 'oldPassword');
  const newPassword = checkNewPassword(input.newPassword, 'newPassword');
  const account = await findAccountById(hub.db, user.id);
  if (!account?.passwordHash) throw new HubError('Forbidden', 'You have no password yet: ask an admin to set one (orchard user passwd)');
  if (!(await verifyPassword(oldPassword, account.passwordHash))) throw new HubError('Forbidden', 'The current password is wrong');
  await setPassword(hub.db, user.id, newPassword, sessionIdHash);
  await recordAudit(hub, source, { action: 'user.password.change', namespace: user.name, target: user.name });
}

export interface SignupInput {
  username: unknown;
  password: unknown;
  email?: unknown;
  invite?: unknown;
}

/** An email address as far as a hub needs one: something@something, without spaces. */
export function parseEmail(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(value)) throw new HubError('BadRequest', '"email" must be an email address');
  return value;
}

/**
 * Self-service sign-up, as the site's `signup` setting allows: 403 when
 * closed or when the invite is missing, unknown, expired or used. The name
 * follows the namespace rules of `createUser` (409 when taken, in any case).
 * The new user is signed in.
 */
export async function signup(hub: Hub, source: AuditSource, input: SignupInput): Promise<{ user: User; session: NewSession }> {
  const mode = await getSignupMode(hub.db);
  if (mode === 'closed') throw new HubError('Forbidden', 'Sign-up is closed on this hub: ask an admin for an account');
  if (mode === 'invite' && !(await inviteIsValid(hub.db, input.invite))) throw new HubError('Forbidden', 'Sign-up needs a valid invite code');
  const username = str(input.username, 'username', 200);
  const email = parseEmail(input.email);
  const hash = await hashPassword(checkNewPassword(input.password));
  const user = await hub.db.transaction().execute(async (trx) => {
    const created = await createUser(trx, { name: username, ...(email ? { email } : {}) });
    await storePasswordHash(trx, created.id, hash);
    // Consumed in the same transaction: two sign-ups racing for one code cannot both win.
    if (mode === 'invite' && !(await consumeInvite(trx, input.invite as string, created.id))) {
      throw new HubError('Forbidden', 'Sign-up needs a valid invite code');
    }
    return created;
  });
  await recordAudit(hub, source, { action: 'user.signup', namespace: user.name, target: user.name, details: { mode } });
  return { user, session: await createSession(hub.db, user.id) };
}
