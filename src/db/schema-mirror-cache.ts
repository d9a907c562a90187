/** Tables of the pull-through cache (migration 0015, docs/mirror.md); `Database` in schema.ts extends this. */
export interface MirrorReposTable {
  key: string;
  type: string;
  name: string;
  private: number;
  gated: string;
  checked_at: string;
  last_access: string;
}

export interface MirrorRevisionsTable {
  repo_key: string;
  revision: string;
  commit_sha: string;
  checked_at: string;
}

export interface MirrorDocumentsTable {
  repo_key: string;
  commit_sha: string;
  kind: string;
  body: string;
  fetched_at: string;
}

export interface MirrorFilesTable {
  repo_key: string;
  commit_sha: string;
  path: string;
  kind: 'lfs' | 'git' | 'missing';
  oid: string;
  size: number;
}

export interface MirrorObjectsTable {
  name: string;
  size: number;
  created_at: string;
  last_access: string;
  hits: number;
}

export interface MirrorCacheTables {
  mirror_repos: MirrorReposTable;
  mirror_revisions: MirrorRevisionsTable;
  mirror_documents: MirrorDocumentsTable;
  mirror_files: MirrorFilesTable;
  mirror_objects: MirrorObjectsTable;
}
