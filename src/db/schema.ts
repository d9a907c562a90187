import type { Generated } from 'kysely';
import type { DiscussionTables } from './schema-discussions.js';
import type { EvalTables } from './schema-evals.js';
import type { FeedbackTables } from './schema-feedback.js';
import type { LeaderboardTables } from './schema-leaderboards.js';
import type { ArenaTables } from './schema-arena.js';
import type { ArenaExportTables } from './schema-arena-export.js';
import type { MirrorCacheTables } from './schema-mirror-cache.js';
import type { RateLimitTables } from './schema-rate-limits.js';
import type { ExportJobTables } from './schema-export-jobs.js';
import type { MirrorReplicationTables } from './schema-mirror-replication.js';
import type { LineageTables } from './schema-lineage.js';
import type { SocialTables } from './schema-social.js';
import type { WebhookTables } from './schema-webhooks.js';

/**
 * Table types for Kysely. Types are chosen to be portable between SQLite and
 * PostgreSQL: booleans are integers 0/1, dates are ISO strings, JSON is text.
 */
export interface UsersTable {
  id: string;
  name: string;
  fullname: string;
  email: string | null;
  is_admin: number;
  created_at: string;
  /** scrypt hash (see src/auth/passwords.ts); null: no password login */
  password_hash: string | null;
  disabled: number;
}

export interface TokensTable {
  id: string;
  user_id: string;
  display_name: string;
  role: 'read' | 'write' | 'fineGrained';
  /** sha256 hex of the whole token: tokens are random, so a fast hash is enough. */
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  scopes: string | null;
}

export interface ReposTable {
  id: string;
  type: 'model' | 'dataset' | 'space';
  namespace: string;
  name: string;
  /** lower-cased `namespace/name`, for case-insensitive uniqueness and search. */
  full_name_lc: string;
  private: number;
  gated: string | null;
  disabled: number;
  created_by: string | null;
  created_at: string;
  last_modified: string;
  default_branch: string;
  head_sha: string | null;
  card_data: string | null;
  pipeline_tag: string | null;
  library_name: string | null;
  downloads: number;
  likes: number;
  /** all-time downloads; `downloads` is the last 30 days (migration 0007; both default to 0 on insert) */
  downloads_all_time: Generated<number>;
  /** decayed recent likes and downloads (src/services/trending.ts) */
  trending_score: Generated<number>;
  /** set while the repo is a pull mirror: the source it copies (migration 0016); writes are refused (policy.can) */
  mirror_of: Generated<string | null>;
}

export interface RepoTagsTable {
  repo_id: string;
  tag: string;
}

export interface RefsTable {
  repo_id: string;
  /** fully qualified: refs/heads/main, refs/tags/v1 */
  name: string;
  oid: string;
}

export interface CommitsTable {
  repo_id: string;
  oid: string;
  tree_oid: string;
  parents: string;
  title: string;
  message: string;
  author_name: string;
  author_email: string;
  date: string;
}

/** One row per entry of an indexed git tree object. */
export interface TreeEntriesTable {
  repo_id: string;
  tree_oid: string;
  entry_name: string;
  /** 'blob' | 'tree' | 'commit' */
  kind: string;
  mode: string;
  oid: string;
  /** git blob size (for an LFS pointer: the pointer's size) */
  size: number;
  lfs_oid: string | null;
  lfs_size: number | null;
}

/** Marks a tree as fully indexed (an empty tree has no entries). */
export interface IndexedTreesTable {
  repo_id: string;
  tree_oid: string;
}

/** LFS objects uploaded through this repo, so that a commit may reference them. */
export interface LfsUploadsTable {
  repo_id: string;
  oid: string;
  size: number;
  created_at: string;
}

/** Repos whose git refs may be ahead of the index (a write in progress or interrupted). */
export interface PendingSyncsTable {
  repo_id: string;
  since: string;
}

export interface RepoRedirectsTable {
  type: 'model' | 'dataset' | 'space';
  full_name_lc: string;
  repo_id: string;
}

export interface OrgsTable {
  id: string;
  name: string;
  name_lc: string;
  fullname: string;
  created_at: string;
}

export type OrgRole = 'read' | 'write' | 'admin';

export interface OrgMembersTable {
  org_id: string;
  user_id: string;
  role: OrgRole;
  created_at: string;
}

export interface SessionsTable {
  /** sha256 of the cookie value */
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface GatedRequestsTable {
  repo_id: string;
  user_id: string;
  status: 'pending' | 'accepted' | 'rejected';
  /** JSON of the requester's answers to the form; `null` when a manager granted access without a request */
  fields: string;
  created_at: string;
  updated_at: string;
  /** id of the user who last accepted, rejected or cancelled; null for the requester (auto mode) and the CLI */
  decided_by: string | null;
  /** shown to the requester; only while rejected */
  rejection_reason: string | null;
}

export interface QuotasTable {
  namespace_lc: string;
  max_bytes: number;
}

export interface AuditLogTable {
  id: string;
  at: string;
  actor: string | null;
  ip: string | null;
  action: string;
  /** the user or org the event belongs to, for org admins' view */
  namespace: string | null;
  target: string | null;
  details: string;
}

export interface InvitesTable {
  code_hash: string;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  used_by: string | null;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface Database extends DiscussionTables, SocialTables, LineageTables, WebhookTables, EvalTables, FeedbackTables, LeaderboardTables, ArenaTables, ArenaExportTables, MirrorCacheTables, RateLimitTables, MirrorReplicationTables, ExportJobTables {
  users: UsersTable;
  tokens: TokensTable;
  repos: ReposTable;
  repo_tags: RepoTagsTable;
  refs: RefsTable;
  commits: CommitsTable;
  tree_entries: TreeEntriesTable;
  indexed_trees: IndexedTreesTable;
  lfs_uploads: LfsUploadsTable;
  pending_syncs: PendingSyncsTable;
  settings: SettingsTable;
  repo_redirects: RepoRedirectsTable;
  orgs: OrgsTable;
  org_members: OrgMembersTable;
  sessions: SessionsTable;
  gated_requests: GatedRequestsTable;
  quotas: QuotasTable;
  audit_log: AuditLogTable;
  invites: InvitesTable;
}
