import type { RepoType } from '../core/repo-id.js';
import type { OrgRole } from '../db/schema.js';

/** A signed-in person. */
export interface User {
  id: string;
  name: string;
  fullname: string;
  email: string | null;
  isAdmin: boolean;
  createdAt: string;
}

/** What a fine-grained token may do (the Hub calls these tokens `fineGrained`). */
export const PERMISSIONS = ['repo.content.read', 'repo.write', 'repo.admin', 'discussion.write', 'gated.manage'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** A scope names a repo (`type` + `ns/name`) or a whole namespace (a user or an org). */
export interface TokenScope {
  entity: { type: 'repo'; repoType: RepoType; name: string } | { type: 'org' | 'user'; name: string };
  permissions: Permission[];
}

export interface FineGrainedScopes {
  scoped: TokenScope[];
  /** permissions on everything the owner can reach */
  global: Permission[];
}

export interface TokenInfo {
  id: string;
  displayName: string;
  role: 'read' | 'write' | 'fineGrained';
  createdAt: string;
  expiresAt: string | null;
  scopes: FineGrainedScopes | null;
}

export interface Membership {
  orgId: string;
  name: string;
  fullname: string;
  role: OrgRole;
}

export type Actor =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      user: User;
      /** undefined for a browser session (the cookie carries the user's full rights, guarded by CSRF) */
      token: TokenInfo | undefined;
      /** lower-cased org name → membership */
      memberships: Map<string, Membership>;
    };

export const ANONYMOUS: Actor = { kind: 'anonymous' };
