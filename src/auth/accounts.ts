import { sql } from 'kysely';
import { HubError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import type { User } from './actor.js';
import { checkNewPassword, hashPassword } from './passwords.js';
import { revokeSessions } from './sessions.js';
import { rowToUser } from './tokens.js';

/**
 * Account state beyond a user's identity: the password hash, the disabled
 * flag, the admin flag and deletion. Shared by the HTTP API and the CLI.
 */
export interface UserAccount {
  user: User;
  disabled: boolean;
  /** never leaves the server: presenters say `hasPassword` */
  passwordHash: string | null;
}

type UserRow = Parameters<typeof rowToUser>[0] & { disabled: number; password_hash: string | null };

function rowToAccount(row: UserRow): UserAccount {
  return { user: rowToUser(row), disabled: row.disabled === 1, passwordHash: row.password_hash };
}

/** Looks an account up by name regardless of case (user names are unique that way). */
export async function findAccount(db: Db, name: string): Promise<UserAccount | undefined> {
  if (name.length === 0 || name.length > 200) return undefined;
  const row = await db.selectFrom('users').selectAll().where(sql`lower(name)`, '=', name.toLowerCase()).executeTakeFirst();
  return row ? rowToAccount(row) : undefined;
}

export async function findAccountById(db: Db, id: string): Promise<UserAccount | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? rowToAccount(row) : undefined;
}

/** The account, or 404. */
export async function requireAccount(db: Db, name: string): Promise<UserAccount> {
  const account = await findAccount(db, name);
  if (!account) throw new HubError('NotFound', `No user named ${name}`);
  return account;
}

export async function listAccounts(db: Db, opts: { offset: number; limit: number }): Promise<{ accounts: UserAccount[]; hasMore: boolean }> {
  const rows = await db.selectFrom('users').selectAll().orderBy('name').offset(opts.offset).limit(opts.limit + 1).execute();
  return { accounts: rows.slice(0, opts.limit).map(rowToAccount), hasMore: rows.length > opts.limit };
}

/**
 * Checks the rules, stores the new hash and ends the user's other sessions
 * (all of them unless `keepSessionIdHash` names the one in use).
 */
export async function setPassword(db: Db, userId: string, password: unknown, keepSessionIdHash?: string): Promise<void> {
  const hash = await hashPassword(checkNewPassword(password));
  await db.updateTable('users').set({ password_hash: hash }).where('id', '=', userId).execute();
  await revokeSessions(db, userId, keepSessionIdHash);
}

/** Stores an already computed hash (sign-in upgrading old parameters). */
export async function storePasswordHash(db: Db, userId: string, hash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash }).where('id', '=', userId).execute();
}

/** Disables or enables an account. Its tokens and sessions stop working at once; disabling also deletes its sessions. */
export async function setDisabled(db: Db, userId: string, disabled: boolean): Promise<void> {
  await db.updateTable('users').set({ disabled: disabled ? 1 : 0 }).where('id', '=', userId).execute();
  if (disabled) await revokeSessions(db, userId);
}

export async function setAdmin(db: Db, userId: string, isAdmin: boolean): Promise<void> {
  await db.updateTable('users').set({ is_admin: isAdmin ? 1 : 0 }).where('id', '=', userId).execute();
}

/** How many repos live in the user's namespace. */
export async function countOwnedRepos(db: Db, name: string): Promise<number> {
  const r = await db
    .selectFrom('repos')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(sql`lower(namespace)`, '=', name.toLowerCase())
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Deletes an account with its tokens, sessions and memberships. A user who
 * still owns repos is refused with 409: deleting repos silently is worse
 * than asking the admin to move or delete them first.
 */
export async function deleteAccount(db: Db, account: UserAccount): Promise<void> {
  const repos = await countOwnedRepos(db, account.user.name);
  if (repos > 0) {
    throw new HubError('Conflict', `User ${account.user.name} owns ${repos} repo${repos === 1 ? '' : 's'}: delete or move them first`, { body: { repos } });
  }
  // The foreign keys cascade, but SQLite only honours them with the pragma on: say it explicitly.
  await db.deleteFrom('sessions').where('user_id', '=', account.user.id).execute();
  await db.deleteFrom('tokens').where('user_id', '=', account.user.id).execute();
  await db.deleteFrom('users').where('id', '=', account.user.id).execute();
}
