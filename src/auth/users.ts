import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { HubError } from '../core/errors.js';
import { RESERVED_NAMESPACES, validateName } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import type { Db } from '../db/database.js';
import type { User } from './actor.js';
import { rowToUser } from './tokens.js';

export async function createUser(db: Db, input: { name: string; fullname?: string; email?: string; isAdmin?: boolean }): Promise<User> {
  const name = validateName('namespace', input.name);
  if (RESERVED_NAMESPACES.has(name.toLowerCase())) throw new HubError('BadRequest', `The name ${name} is reserved`);
  // Names are namespaces, shared with orgs, and repo ids are case-insensitive: Alice and alice would collide.
  const existing = await db.selectFrom('users').select('id').where(sql`lower(name)`, '=', name.toLowerCase()).executeTakeFirst();
  if (existing) throw new HubError('Conflict', `User ${name} already exists`);
  const org = await db.selectFrom('orgs').select('id').where('name_lc', '=', name.toLowerCase()).executeTakeFirst();
  if (org) throw new HubError('Conflict', `The name ${name} is taken by an organization`);
  const row = {
    id: randomUUID(),
    name,
    fullname: input.fullname ?? name,
    email: input.email ?? null,
    is_admin: input.isAdmin ? 1 : 0,
    created_at: nowIso(),
    password_hash: null,
    disabled: 0,
  };
  await db.insertInto('users').values(row).execute();
  return rowToUser(row);
}

export async function findUserByName(db: Db, name: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? rowToUser(row) : undefined;
}

export async function countUsers(db: Db): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}
