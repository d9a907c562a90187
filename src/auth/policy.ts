import type { RepoType } from '../core/repo-id.js';
import type { OrgRole } from '../db/schema.js';
import type { Actor, Permission } from './actor.js';

/** What the policy needs to know about a repo. */
export interface RepoAccessInfo {
  type: RepoType;
  namespace: string;
  name: string;
  private: boolean;
  /** Set for a pull mirror (the source it copies): its content changes only through replication, so nobody writes to it. */
  mirrorOf?: string | null;
}

export type RepoAction = 'read' | 'write' | 'admin';

const RANK: Record<OrgRole, number> = { read: 1, write: 2, admin: 3 };

const PERMISSION_FOR: Record<RepoAction, Permission> = { read: 'repo.content.read', write: 'repo.write', admin: 'repo.admin' };

/**
 * The role a person has in a namespace, tokens aside: `admin` in their own
 * namespace and, for site admins, everywhere; their membership role in an org.
 */
export function roleIn(actor: Actor, namespace: string): OrgRole | undefined {
  if (actor.kind !== 'user') return undefined;
  if (actor.user.isAdmin || actor.user.name.toLowerCase() === namespace.toLowerCase()) return 'admin';
  return actor.memberships.get(namespace.toLowerCase())?.role;
}

/**
 * Does the credential itself allow `permission` on a target? A session
 * carries its user's rights; a read token only reads; a write token does
 * what its owner may; a fine-grained token only what its scopes list.
 * Never more than the owner may: callers check the role first.
 */
export function tokenAllows(actor: Actor, permission: Permission, target: { namespace: string; repo?: { type: RepoType; name: string } }): boolean {
  if (actor.kind !== 'user') return false;
  const token = actor.token;
  if (!token || token.role === 'write') return true;
  if (token.role === 'read') return permission === 'repo.content.read';
  const scopes = token.scopes;
  if (!scopes) return false;
  if (scopes.global.includes(permission)) return true;
  const ns = target.namespace.toLowerCase();
  return scopes.scoped.some((s) => {
    if (!s.permissions.includes(permission)) return false;
    const e = s.entity;
    if (e.type === 'repo') {
      return target.repo !== undefined && e.repoType === target.repo.type && e.name.toLowerCase() === `${ns}/${target.repo.name.toLowerCase()}`;
    }
    return e.name.toLowerCase() === ns;
  });
}

/**
 * The one access decision for repos. Public repos are readable by everyone
 * (gating is decided separately, see `mustApproveGate`); anything else needs
 * a role in the repo's namespace that is high enough, and a credential that
 * allows it.
 */
export function can(actor: Actor, action: RepoAction, repo: RepoAccessInfo): boolean {
  if (action === 'read' && !repo.private) return true;
  // A pull mirror is read-only for everyone; admin (settings, rename, delete) stays (docs/replication.md).
  if (action === 'write' && repo.mirrorOf) return false;
  const role = roleIn(actor, repo.namespace);
  const needed: OrgRole = action === 'read' ? 'read' : action === 'write' ? 'write' : 'admin';
  if (!role || RANK[role] < RANK[needed]) return false;
  return tokenAllows(actor, PERMISSION_FOR[action], { namespace: repo.namespace, repo: { type: repo.type, name: repo.name } });
}

/** Gated content needs an approved request, except for those with a role in the namespace. */
export function bypassesGate(actor: Actor, repo: RepoAccessInfo): boolean {
  return roleIn(actor, repo.namespace) !== undefined && tokenAllows(actor, 'repo.content.read', { namespace: repo.namespace, repo: { type: repo.type, name: repo.name } });
}

/**
 * May the actor manage a gated repo's access requests (list, accept, reject,
 * grant)? A write role in its namespace and a credential that allows
 * `gated.manage` (write tokens do; read tokens do not).
 */
export function canManageGate(actor: Actor, repo: RepoAccessInfo): boolean {
  const role = roleIn(actor, repo.namespace);
  if (!role || RANK[role] < RANK.write) return false;
  return tokenAllows(actor, 'gated.manage', { namespace: repo.namespace, repo: { type: repo.type, name: repo.name } });
}

/** May the actor create repos in `namespace` (their own, or an org where they can write)? */
export function canCreateIn(actor: Actor, namespace: string): boolean {
  const role = roleIn(actor, namespace);
  if (!role || RANK[role] < RANK.write) return false;
  return tokenAllows(actor, 'repo.write', { namespace });
}

/** May the actor manage an org (members, settings, its audit log)? */
export function canAdminNamespace(actor: Actor, namespace: string): boolean {
  return roleIn(actor, namespace) === 'admin' && tokenAllows(actor, 'repo.admin', { namespace });
}

/**
 * Is the actor a site admin acting with full rights? `users.is_admin` and a
 * browser session or a write token: a read or fine-grained token of an admin
 * does not administer the site.
 */
export function isSiteAdmin(actor: Actor): boolean {
  return actor.kind === 'user' && actor.user.isAdmin && (actor.token === undefined || actor.token.role === 'write');
}

/**
 * May the actor take part in a repo's discussions: open discussions and pull
 * requests, comment? Anyone signed in who can read the repo, with a
 * credential that allows `discussion.write` (a session, a write token, a
 * fine-grained token with that scope; not a read token). Renaming, closing
 * and merging need more: see src/services/discussions.ts.
 */
export function canDiscuss(actor: Actor, repo: RepoAccessInfo): boolean {
  if (actor.kind !== 'user' || !can(actor, 'read', repo)) return false;
  return tokenAllows(actor, 'discussion.write', { namespace: repo.namespace, repo: { type: repo.type, name: repo.name } });
}
