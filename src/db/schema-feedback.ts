/** Tables of feedback; `Database` in schema.ts extends this. */

export type FeedbackStatus = 'new' | 'accepted' | 'rejected';

export interface FeedbackTable {
  id: string;
  repo_id: string;
  /** null once the submitter's account is deleted */
  user_id: string | null;
  user_name: string;
  /** JSON `[{role, content}]` */
  prompt: string;
  response: string;
  /** the full commit id the feedback is about */
  model_revision: string;
  /** '1'…'5', 'up' or 'down' */
  rating: string;
  /** JSON array of categories */
  categories: string;
  correction: string | null;
  note: string | null;
  consent_publish: number;
  consent_at: string;
  status: FeedbackStatus;
  /** JSON array of labels set in triage */
  labels: string;
  triaged_by: string | null;
  triaged_at: string | null;
  created_at: string;
}

export interface FeedbackExportsTable {
  id: string;
  model_repo_id: string;
  dataset_repo_id: string;
  shard: number;
  status: 'pending' | 'done';
  commit_oid: string | null;
  sft_rows: number;
  preference_rows: number;
  created_by: string | null;
  created_at: string;
}

export interface FeedbackExportedTable {
  feedback_id: string;
  dataset_repo_id: string;
  export_id: string;
}

export interface FeedbackTables {
  feedback: FeedbackTable;
  feedback_exports: FeedbackExportsTable;
  feedback_exported: FeedbackExportedTable;
}
