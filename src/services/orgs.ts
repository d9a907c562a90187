import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { canAdminNamespace, roleIn, tokenAllows } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { RESERVED_NAMESPACES, validateName } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import type { Db } from '../db/database.js';
import type { OrgRole } from '../db/schema.js';

export const ORG_ROLES: readonly OrgRole[] = ['read', 'write', 'admin'];

export interface Org {
  id: string;
  name: string;
  fullname: string;
  createdAt: string;
}

export interface OrgMember {
  user: string;
  fullname: string;
  role: OrgRole;
  since: string;
}

export function parseRole(value: unknown): OrgRole {
  if (typeof value === 'string' && (ORG_ROLES as readonly string[]).includes(value)) return value as OrgRole;
  throw new HubError('BadRequest', `role must be one of ${ORG_ROLES.join(', ')}`);
}

/** Is a namespace name taken by a user or an org (case-insensitively)? */
/** The user's or org's name as it is spelled, or 404. */
export async function canonicalNamespace(db: Db, namespace: string): Promise<string> {
  const lc = namespace.toLowerCase();
  const user = await db.selectFrom('users').select('name').where(sql`lower(name)`, '=', lc).executeTakeFirst();
  if (user) return user.name;
  const org = await db.selectFrom('orgs').select('name').where('name_lc', '=', lc).executeTakeFirst();
  if (org) return org.name;
  throw new HubError('NotFound', `There is no user or organization named ${namespace}`);
}

export async function namespaceTaken(db: Db, name: string): Promise<'user' | 'org' | undefined> {
  const lc = name.toLowerCase();
  if (await db.selectFrom('users').select('id').where(sql`lower(name)`, '=', lc).executeTakeFirst()) return 'user';
  if (await db.selectFrom('orgs').select('id').where('name_lc', '=', lc).executeTakeFirst()) return 'org';
  return undefined;
}

export async function findOrg(db: Db, name: string): Promise<Org | undefined> {
  const row = await db.selectFrom('orgs').selectAll().where('name_lc', '=', name.toLowerCase()).executeTakeFirst();
  return row ? { id: row.id, name: row.name, fullname: row.fullname, createdAt: row.created_at } : undefined;
}

async function requireOrg(db: Db, name: string): Promise<Org> {
  const org = await findOrg(db, name);
  if (!org) throw new HubError('NotFound', `Organization ${name} does not exist`);
  return org;
}

function requireUser(actor: Actor): asserts actor is Extract<Actor, { kind: 'user' }> {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated');
}

/** Any signed-in user may create an org and becomes its first admin. */
export async function createOrg(db: Db, actor: Actor, input: { name: string; fullname?: string | undefined }): Promise<Org> {
  requireUser(actor);
  if (actor.token && actor.token.role !== 'write') throw new HubError('Forbidden', 'Creating an organization needs a write token');
  const name = validateName('namespace', input.name);
  if (RESERVED_NAMESPACES.has(name.toLowerCase())) throw new HubError('BadRequest', `The name ${name} is reserved`);
  if (await namespaceTaken(db, name)) throw new HubError('Conflict', `The name ${name} is already taken`);
  const org: Org = { id: randomUUID(), name, fullname: (input.fullname ?? name).slice(0, 200), createdAt: nowIso() };
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('orgs').values({ id: org.id, name, name_lc: name.toLowerCase(), fullname: org.fullname, created_at: org.createdAt }).execute();
      await trx.insertInto('org_members').values({ org_id: org.id, user_id: actor.user.id, role: 'admin', created_at: org.createdAt }).execute();
    });
  } catch (err) {
    if (/unique|duplicate/i.test(String(err))) throw new HubError('Conflict', `The name ${name} is already taken`);
    throw err;
  }
  return org;
}

/** Members are visible to the org's members and to site admins. */
export async function listMembers(db: Db, actor: Actor, orgName: string): Promise<OrgMember[]> {
  const org = await requireOrg(db, orgName);
  if (!roleIn(actor, org.name) || !tokenAllows(actor, 'repo.content.read', { namespace: org.name })) {
    throw new HubError('Forbidden', `Only members of ${org.name} can list its members`);
  }
  const rows = await db
    .selectFrom('org_members')
    .innerJoin('users', 'users.id', 'org_members.user_id')
    .select(['users.name', 'users.fullname', 'org_members.role', 'org_members.created_at'])
    .where('org_members.org_id', '=', org.id)
    .orderBy('users.name')
    .execute();
  return rows.map((r) => ({ user: r.name, fullname: r.fullname, role: r.role, since: r.created_at }));
}

async function adminCount(db: Db, orgId: string): Promise<number> {
  const r = await db.selectFrom('org_members').select((eb) => eb.fn.countAll<number>().as('n')).where('org_id', '=', orgId).where('role', '=', 'admin').executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Adds a user to an org, or changes their role (org admins). An org always keeps one admin. */
export async function setMember(db: Db, actor: Actor, orgName: string, userName: string, role: OrgRole): Promise<{ previous: OrgRole | undefined }> {
  const org = await requireOrg(db, orgName);
  if (!canAdminNamespace(actor, org.name)) throw new HubError('Forbidden', `Only admins of ${org.name} can manage its members`);
  const user = await db.selectFrom('users').select(['id', 'disabled']).where(sql`lower(name)`, '=', userName.toLowerCase()).executeTakeFirst();
  if (!user) throw new HubError('NotFound', `User ${userName} does not exist`);
  const current = await db.selectFrom('org_members').select('role').where('org_id', '=', org.id).where('user_id', '=', user.id).executeTakeFirst();
  if (current?.role === 'admin' && role !== 'admin' && (await adminCount(db, org.id)) <= 1) {
    throw new HubError('Conflict', `${userName} is the last admin of ${org.name}; make someone else admin first`);
  }
  if (current) await db.updateTable('org_members').set({ role }).where('org_id', '=', org.id).where('user_id', '=', user.id).execute();
  else await db.insertInto('org_members').values({ org_id: org.id, user_id: user.id, role, created_at: nowIso() }).execute();
  return { previous: current?.role };
}

/** Removes a member (org admins), or lets members leave. */
export async function removeMember(db: Db, actor: Actor, orgName: string, userName: string): Promise<void> {
  const org = await requireOrg(db, orgName);
  requireUser(actor);
  const self = actor.user.name.toLowerCase() === userName.toLowerCase();
  if (!self && !canAdminNamespace(actor, org.name)) throw new HubError('Forbidden', `Only admins of ${org.name} can remove members`);
  const user = await db.selectFrom('users').select('id').where(sql`lower(name)`, '=', userName.toLowerCase()).executeTakeFirst();
  const current = user && (await db.selectFrom('org_members').select('role').where('org_id', '=', org.id).where('user_id', '=', user.id).executeTakeFirst());
  if (!user || !current) throw new HubError('NotFound', `${userName} is not a member of ${org.name}`);
  if (current.role === 'admin' && (await adminCount(db, org.id)) <= 1) {
    throw new HubError('Conflict', `${userName} is the last admin of ${org.name}; make someone else admin first`);
  }
  await db.deleteFrom('org_members').where('org_id', '=', org.id).where('user_id', '=', user.id).execute();
}

/** Deletes an empty org (org admins). */
export async function deleteOrg(db: Db, actor: Actor, orgName: string): Promise<void> {
  const org = await requireOrg(db, orgName);
  if (!canAdminNamespace(actor, org.name)) throw new HubError('Forbidden', `Only admins of ${org.name} can delete it`);
  const repos = await db.selectFrom('repos').select((eb) => eb.fn.countAll<number>().as('n')).where(sql`lower(namespace)`, '=', org.name.toLowerCase()).executeTakeFirstOrThrow();
  if (Number(repos.n) > 0) throw new HubError('Conflict', `${org.name} still has ${Number(repos.n)} repos; delete or move them first`);
  await db.deleteFrom('orgs').where('id', '=', org.id).execute();
}
