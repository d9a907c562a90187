import { createHash, randomBytes } from 'node:crypto';
import { HubError } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import type { Db } from '../db/database.js';

/**
 * Who may create an account: nobody but admins (`closed`, the default),
 * holders of an invite code (`invite`), or anyone (`open`). The mode is a row
 * of the `settings` table, so every process of a hub agrees on it.
 */
export const SIGNUP_MODES = ['closed', 'invite', 'open'] as const;
export type SignupMode = (typeof SIGNUP_MODES)[number];

const SIGNUP_KEY = 'signup';

export const DEFAULT_INVITE_DAYS = 7;
export const MAX_INVITE_DAYS = 365;

export function parseSignupMode(value: unknown): SignupMode {
  if (typeof value === 'string' && (SIGNUP_MODES as readonly string[]).includes(value)) return value as SignupMode;
  throw new HubError('BadRequest', `signup must be one of ${SIGNUP_MODES.join(', ')}`);
}

export async function getSignupMode(db: Db): Promise<SignupMode> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', SIGNUP_KEY).executeTakeFirst();
  return row && (SIGNUP_MODES as readonly string[]).includes(row.value) ? (row.value as SignupMode) : 'closed';
}

export async function setSignupMode(db: Db, mode: SignupMode): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key: SIGNUP_KEY, value: mode })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: mode }))
    .execute();
}

function hashInvite(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

/** A whole number of days between 1 and 365, or 400. */
export function parseInviteDays(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_INVITE_DAYS;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_INVITE_DAYS) {
    throw new HubError('BadRequest', `days must be a whole number from 1 to ${MAX_INVITE_DAYS}`);
  }
  return n;
}

/** A single-use invite code (shown once; stored as its sha256), valid for `days`. */
export async function createInvite(db: Db, createdBy: string | null, days: number): Promise<{ code: string; expiresAt: string }> {
  const code = randomBytes(24).toString('base64url');
  const expiresAt = new Date(Date.now() + days * 86_400_000).toISOString();
  await db.insertInto('invites').values({ code_hash: hashInvite(code), created_by: createdBy, created_at: nowIso(), expires_at: expiresAt, used_by: null }).execute();
  return { code, expiresAt };
}

/** Is this an unused, unexpired invite? A read-only check: `consumeInvite` is what counts. */
export async function inviteIsValid(db: Db, code: unknown): Promise<boolean> {
  if (typeof code !== 'string' || code.length === 0 || code.length > 200) return false;
  const row = await db
    .selectFrom('invites')
    .select('code_hash')
    .where('code_hash', '=', hashInvite(code))
    .where('used_by', 'is', null)
    .where('expires_at', '>', nowIso())
    .executeTakeFirst();
  return row !== undefined;
}

/** Marks the invite used by `userId`; false when it was unknown, expired, or someone used it first. */
export async function consumeInvite(db: Db, code: string, userId: string): Promise<boolean> {
  const r = await db
    .updateTable('invites')
    .set({ used_by: userId })
    .where('code_hash', '=', hashInvite(code))
    .where('used_by', 'is', null)
    .where('expires_at', '>', nowIso())
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
