/** Dataset exports run by the job queue (migration 0019); `Database` in schema.ts extends this. */
export interface ExportJobsTable {
  id: string;
  kind: string;
  source_id: string;
  dataset_repo_id: string;
  created_dataset: number;
  user_id: string;
  params: string;
  status: string;
  result: string | null;
  created_at: string;
  updated_at: string;
}

export interface ExportJobTables {
  export_jobs: ExportJobsTable;
}
