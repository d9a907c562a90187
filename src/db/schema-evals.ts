/** A benchmark definition read from a dataset's `eval.yaml` at one commit (migration 0010). */
export interface EvalBenchmarksTable {
  repo_id: string;
  /** the dataset commit the definition was read at */
  revision: string;
  /** 1 for the definition at the dataset's current default-branch head */
  is_head: number;
  /** 0 when eval.yaml could not be used; `error` says why */
  valid: number;
  error: string | null;
  name: string | null;
  description: string | null;
  task: string | null;
  metric: string | null;
  split: string | null;
  higher_is_better: number;
  /** path of the JSONL file of samples (`{"id": …}` per line) in the dataset, if any */
  samples_path: string | null;
  indexed_at: string;
}

/** One evaluation result: an aggregate value of a model on a benchmark. */
export interface EvalResultsTable {
  id: string;
  model_repo_id: string;
  /** the model commit the result is about */
  model_revision: string;
  /** the benchmark as named (a dataset id, or an external name) */
  benchmark: string;
  /** lower-cased `benchmark`, matched against datasets' `full_name_lc` when read */
  benchmark_key: string;
  /** display name given by a card (`dataset.name`) */
  benchmark_name: string | null;
  benchmark_revision: string | null;
  task: string | null;
  metric: string | null;
  value: number;
  /** number of samples behind the value, when known */
  n: number | null;
  /** `card`, `file:<path>` or `api` */
  source: string;
  source_url: string | null;
  self_reported: number;
  /** the card's `verified: true` (a Hub-issued verification token) */
  verified: number;
  producer_user_id: string | null;
  /** the user who posted it, or the committer of the model's head for card and file results */
  producer_name: string;
  notes: string | null;
  reproduced_from: string | null;
  contaminated: number;
  unverified: number;
  flag_note: string | null;
  flagged_by: string | null;
  flagged_at: string | null;
  created_at: string;
}

/**
 * Per-sample scores of one result, packed by column: `ids` is a JSON array of
 * strings; the numeric columns are base64 of little-endian Float64Array (NaN
 * where a sample gave no value); null when no sample gave any.
 */
export interface EvalSamplesTable {
  result_id: string;
  count: number;
  ids: string;
  scores: string;
  cost_tokens: string | null;
  cost_usd: string | null;
  latency_ms: string | null;
}

/** Tables of evaluations; `Database` in schema.ts extends this. */
export interface EvalTables {
  eval_benchmarks: EvalBenchmarksTable;
  eval_results: EvalResultsTable;
  eval_samples: EvalSamplesTable;
}
