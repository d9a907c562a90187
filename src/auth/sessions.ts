import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { nowIso } from '../core/time.js';
import type { Db } from '../db/database.js';
import type { Actor } from './actor.js';
import { loadMemberships, rowToUser } from './tokens.js';

/**
 * Browser sessions for the web UI. The cookie holds 32 random bytes; the
 * database keeps only their sha256 (like tokens: a leaked table opens no
 * session). Each session has its own CSRF token, which cookie-authenticated
 * writes must echo in `X-CSRF-Token`.
 */
export const SESSION_COOKIE = 'orchard_session';
export const SESSION_TTL_MS = 30 * 86_400_000;

export interface NewSession {
  /** the cookie value: shown to the browser once, never stored */
  cookie: string;
  csrfToken: string;
  expiresAt: string;
}

export interface SessionInfo {
  idHash: string;
  csrfToken: string;
  expiresAt: string;
}

const COOKIE_RE = /^[A-Za-z0-9_-]{43}$/;

function hashSessionId(cookie: string): string {
  return createHash('sha256').update(cookie).digest('hex');
}

export async function createSession(db: Db, userId: string): Promise<NewSession> {
  const cookie = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const now = Date.now();
  const expiresAt = new Date(now + SESSION_TTL_MS).toISOString();
  // Sessions nobody logged out of pile up: drop this user's expired ones while we are here.
  await db.deleteFrom('sessions').where('user_id', '=', userId).where('expires_at', '<=', new Date(now).toISOString()).execute();
  await db
    .insertInto('sessions')
    .values({ id_hash: hashSessionId(cookie), user_id: userId, csrf_token: csrfToken, created_at: new Date(now).toISOString(), expires_at: expiresAt })
    .execute();
  return { cookie, csrfToken, expiresAt };
}

/**
 * The user behind a session cookie, or undefined for an unknown or expired
 * session or a disabled user (whose sessions stop working at once, like
 * their tokens).
 */
export async function authenticateSession(db: Db, cookie: string): Promise<{ actor: Actor; session: SessionInfo } | undefined> {
  if (!COOKIE_RE.test(cookie)) return undefined;
  const idHash = hashSessionId(cookie);
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.csrf_token', 'sessions.expires_at',
      'users.id', 'users.name', 'users.fullname', 'users.email', 'users.is_admin', 'users.created_at', 'users.disabled',
    ])
    .where('sessions.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row || row.disabled === 1) return undefined;
  if (row.expires_at <= nowIso()) {
    await deleteSession(db, idHash);
    return undefined;
  }
  return {
    actor: { kind: 'user', user: rowToUser(row), token: undefined, memberships: await loadMemberships(db, row.id) },
    session: { idHash, csrfToken: row.csrf_token, expiresAt: row.expires_at },
  };
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

/** Ends every session of a user, but the one in use when `keepIdHash` is given (a password change). */
export async function revokeSessions(db: Db, userId: string, keepIdHash?: string): Promise<void> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepIdHash) q = q.where('id_hash', '!=', keepIdHash);
  await q.execute();
}

/** Is the header the session's CSRF token? Both sides are hashed first, so neither length nor content leaks through timing. */
export function csrfTokenMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
