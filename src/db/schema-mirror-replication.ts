/**
 * Replication (migration 0016, docs/replication.md): where a local repo's
 * content comes from (a pull mirror, an imported bundle) or where it is sent
 * (a push mirror). `Database` in schema.ts extends this.
 */
export interface ReplicationsTable {
  id: string;
  repo_id: string;
  /** `pull`: this repo mirrors `url`; `push`: this repo is sent to `url`; `import`: it came from a bundle. */
  direction: 'pull' | 'push' | 'import';
  /** Base URL of the other hub, without credentials or a trailing slash (for imports: the exporting hub, or `bundle:`). */
  url: string;
  remote_type: 'model' | 'dataset' | 'space';
  /** `namespace/name` on the other hub. */
  remote_repo: string;
  /** The other hub's id for the repo (`_id` of its repo info), when known. */
  remote_id: string | null;
  /** Token for the other hub, in plain text (docs/replication.md says so): never shown, never sent to clients. */
  token: string | null;
  /** Name of an environment variable of the syncing process that holds the token instead. */
  token_env: string | null;
  /** Seconds between scheduled syncs; null: only when asked. */
  interval_seconds: number | null;
  next_run_at: string | null;
  /** A running sync holds the row until then (a lease, renewed while it runs). */
  claimed_until: string | null;
  claimed_by: string | null;
  last_sync_at: string | null;
  last_status: 'never' | 'ok' | 'error';
  last_error: string | null;
  /** JSON `{ "refs/heads/main": "<oid>", … }`: the refs as of the last successful sync. */
  refs: string | null;
  created_at: string;
}

export interface MirrorReplicationTables {
  replications: ReplicationsTable;
}
