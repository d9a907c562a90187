import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import { HubError } from '../core/errors.js';
import { parseRepoType } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import { type Actor, type FineGrainedScopes, type Membership, PERMISSIONS, type Permission, type TokenInfo, type TokenScope, type User } from './actor.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `hf_` and 34 base62 characters (~200 bits): the clients refuse other prefixes (spec 0.10). */
export function generateToken(): string {
  // 248 is the largest multiple of 62 below 256: rejecting bytes above it keeps every character equally likely.
  let s = 'hf_';
  while (s.length < 37) {
    for (const b of randomBytes(40)) {
      if (b < 248 && s.length < 37) s += ALPHABET[b % 62];
    }
  }
  return s;
}

/**
 * Tokens are stored as their sha256: they are long and random, so a slow
 * password hash adds nothing, and an exact-match lookup on the hash is not a
 * timing oracle for the token itself.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function rowToUser(row: { id: string; name: string; fullname: string; email: string | null; is_admin: number; created_at: string }): User {
  return { id: row.id, name: row.name, fullname: row.fullname, email: row.email, isAdmin: row.is_admin === 1, createdAt: row.created_at };
}

/** Validates fine-grained scopes as a client sends them. */
export function parseScopes(value: unknown): FineGrainedScopes {
  const bad = (why: string): HubError => new HubError('BadRequest', `Invalid token scopes: ${why}`);
  if (typeof value !== 'object' || value === null) throw bad('expected {"scoped": [...], "global": [...]}');
  const v = value as Record<string, unknown>;
  const perms = (p: unknown, where: string): Permission[] => {
    if (!Array.isArray(p) || !p.every((x) => typeof x === 'string' && (PERMISSIONS as readonly string[]).includes(x))) {
      throw bad(`${where} must list permissions among ${PERMISSIONS.join(', ')}`);
    }
    return [...new Set(p as Permission[])];
  };
  const global = v.global === undefined ? [] : perms(v.global, 'global');
  const scopedRaw = v.scoped ?? [];
  if (!Array.isArray(scopedRaw) || scopedRaw.length > 100) throw bad('scoped must be a list of at most 100 scopes');
  const scoped = scopedRaw.map((s: unknown, i): TokenScope => {
    if (typeof s !== 'object' || s === null) throw bad(`scoped[${i}] must be an object`);
    const { entity, permissions } = s as Record<string, unknown>;
    if (typeof entity !== 'object' || entity === null) throw bad(`scoped[${i}].entity is required`);
    const e = entity as Record<string, unknown>;
    if (typeof e.name !== 'string' || e.name.length === 0 || e.name.length > 200) throw bad(`scoped[${i}].entity.name is required`);
    const p = perms(permissions, `scoped[${i}].permissions`);
    if (e.type === 'repo') {
      if (!/^[^/]+\/[^/]+$/.test(e.name)) throw bad(`scoped[${i}].entity.name must be "namespace/name"`);
      return { entity: { type: 'repo' as const, repoType: parseRepoType(e.repoType), name: e.name }, permissions: p };
    }
    if (e.type === 'org' || e.type === 'user') return { entity: { type: e.type, name: e.name }, permissions: p };
    throw bad(`scoped[${i}].entity.type must be "repo", "org" or "user"`);
  });
  if (global.length === 0 && scoped.every((s) => s.permissions.length === 0)) throw bad('the token would grant nothing');
  return { scoped, global };
}

export interface NewToken {
  role: 'read' | 'write' | 'fineGrained';
  displayName: string;
  expiresAt?: string | null;
  scopes?: FineGrainedScopes | null;
}

export async function createToken(db: Db, userId: string, opts: NewToken): Promise<{ token: string; info: TokenInfo }> {
  if (opts.role === 'fineGrained' && !opts.scopes) throw new HubError('BadRequest', 'A fine-grained token needs scopes');
  if (opts.expiresAt && Number.isNaN(Date.parse(opts.expiresAt))) throw new HubError('BadRequest', 'expiresAt must be a date');
  const token = generateToken();
  const info: TokenInfo = {
    id: randomUUID(),
    displayName: opts.displayName.slice(0, 100),
    role: opts.role,
    createdAt: nowIso(),
    expiresAt: opts.expiresAt ? new Date(opts.expiresAt).toISOString() : null,
    scopes: opts.role === 'fineGrained' ? (opts.scopes ?? null) : null,
  };
  await db
    .insertInto('tokens')
    .values({
      id: info.id, user_id: userId, display_name: info.displayName, role: info.role, token_hash: hashToken(token),
      created_at: info.createdAt, last_used_at: null, expires_at: info.expiresAt, scopes: info.scopes ? JSON.stringify(info.scopes) : null,
    })
    .execute();
  return { token, info };
}

/** The orgs a user belongs to, keyed by lower-cased name. */
export async function loadMemberships(db: Db, userId: string): Promise<Map<string, Membership>> {
  const rows = await db
    .selectFrom('org_members')
    .innerJoin('orgs', 'orgs.id', 'org_members.org_id')
    .select(['orgs.id', 'orgs.name', 'orgs.fullname', 'org_members.role'])
    .where('org_members.user_id', '=', userId)
    .execute();
  return new Map(rows.map((r) => [r.name.toLowerCase(), { orgId: r.id, name: r.name, fullname: r.fullname, role: r.role }]));
}

/** Resolves a presented token to its actor, or throws InvalidCredentials (unknown, expired, revoked, or a disabled user). */
export async function authenticateToken(db: Db, token: string): Promise<Actor> {
  if (!token.startsWith('hf_') || token.length > 200) throw invalidCredentials();
  const row = await db
    .selectFrom('tokens')
    .innerJoin('users', 'users.id', 'tokens.user_id')
    .select([
      'tokens.id as token_id', 'tokens.display_name', 'tokens.role', 'tokens.created_at as token_created_at', 'tokens.last_used_at',
      'tokens.expires_at', 'tokens.scopes',
      'users.id', 'users.name', 'users.fullname', 'users.email', 'users.is_admin', 'users.created_at', 'users.disabled',
    ])
    .where('tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.disabled === 1) throw invalidCredentials();
  const now = Date.now();
  if (row.expires_at && Date.parse(row.expires_at) <= now) throw invalidCredentials();
  // last_used_at is written at most once a minute per token, to keep reads cheap.
  if (!row.last_used_at || now - Date.parse(row.last_used_at) > 60_000) {
    await db.updateTable('tokens').set({ last_used_at: new Date(now).toISOString() }).where('id', '=', row.token_id).execute();
  }
  return {
    kind: 'user',
    user: rowToUser(row),
    token: {
      id: row.token_id, displayName: row.display_name, role: row.role, createdAt: row.token_created_at,
      expiresAt: row.expires_at, scopes: row.scopes ? (JSON.parse(row.scopes) as FineGrainedScopes) : null,
    },
    memberships: await loadMemberships(db, row.id),
  };
}

export function invalidCredentials(): HubError {
  // PY checks this exact message so that it does not report RepoNotFound (spec 1.4).
  return new HubError('InvalidCredentials', 'Invalid credentials in Authorization header');
}
