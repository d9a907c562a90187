/** Tables of webhooks; `Database` in schema.ts extends this. */

export type WebhookDomain = 'repo' | 'discussion';
export type WatchKind = 'model' | 'dataset' | 'space' | 'user' | 'org';
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface WebhooksTable {
  id: string;
  user_id: string;
  url: string;
  /** JSON array of `WebhookDomain` */
  domains: string;
  secret: string | null;
  disabled: number;
  created_at: string;
  updated_at: string;
}

export interface WebhookWatchesTable {
  webhook_id: string;
  position: number;
  kind: WatchKind;
  /** `namespace/name` for a repo, the namespace for a user or org, as given */
  name: string;
  name_lc: string;
  /** the watched repo's id (stable across renames); null for a namespace */
  repo_id: string | null;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  seq: number;
  repo_id: string;
  repo_type: string;
  /** `namespace/name` when the event happened */
  repo_name: string;
  repo_private: number;
  /** `scope.action`, e.g. `repo.content.update` */
  event: string;
  /** the JSON body, exactly as sent (redelivery sends it again) */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  /** a worker holds the row until then (see webhook-delivery.ts) */
  locked_until: string | null;
  claim_token: string | null;
  response_status: number | null;
  /** the first bytes of the last response */
  response_body: string | null;
  duration_ms: number | null;
  error: string | null;
  redelivery_of: string | null;
  created_at: string;
  last_attempt_at: string | null;
  finished_at: string | null;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  response_status: number | null;
  error: string | null;
  /** the back-off chosen after this attempt failed; null when it succeeded or was the last */
  retry_delay_ms: number | null;
}

export interface WebhookTables {
  webhooks: WebhooksTable;
  webhook_watches: WebhookWatchesTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}
