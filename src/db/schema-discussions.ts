/** A discussion or pull request of a repo (spec 8.2). */
export interface DiscussionsTable {
  id: string;
  repo_id: string;
  /** Per-repo number, shared by discussions and pull requests; a PR owns `refs/pr/<num>`. */
  num: number;
  title: string;
  status: 'open' | 'closed' | 'merged' | 'draft';
  is_pull_request: number;
  /** null once the user is deleted; `author_name` stays for display. */
  author_id: string | null;
  author_name: string;
  created_at: string;
  updated_at: string;
  /** Pull requests: `refs/heads/<branch>` they merge into. */
  target_branch: string | null;
  /** Pull requests: where the target branch moved when merged. */
  merge_commit: string | null;
  /** Pull requests: where the target branch was just before the merge. */
  merged_from: string | null;
}

/** One entry of a discussion's thread. */
export interface DiscussionEventsTable {
  id: string;
  discussion_id: string;
  position: number;
  type: 'comment' | 'status-change' | 'title-change' | 'commit';
  author_id: string | null;
  author_name: string;
  created_at: string;
  /** JSON text: the event's data; for comments, `{history: [{raw, updatedAt, author}]}` of earlier versions. */
  data: string;
  content: string | null;
  edited: number;
  hidden: number;
  updated_at: string | null;
  updated_by: string | null;
}

/** Tables of discussions and pull requests; `Database` in schema.ts extends this. */
export interface DiscussionTables {
  discussions: DiscussionsTable;
  discussion_events: DiscussionEventsTable;
}
