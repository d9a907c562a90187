/** Tables of arena-vote exports (migration 0014, docs/feedback.md); `Database` in schema.ts extends this. */
export interface ArenaExportsTable {
  id: string;
  arena_id: string;
  dataset_repo_id: string;
  /** unique per dataset: the `arena-NNNNNN.jsonl` files this export writes */
  shard: number;
  status: 'pending' | 'done';
  commit_oid: string | null;
  preference_rows: number;
  created_by: string | null;
  created_at: string;
}

export interface ArenaExportedTable {
  battle_id: string;
  dataset_repo_id: string;
  export_id: string;
}

export interface ArenaExportTables {
  arena_exports: ArenaExportsTable;
  arena_exported: ArenaExportedTable;
}
