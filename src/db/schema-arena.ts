import type { Generated } from 'kysely';

/** Tables of the arena (migration 0013, docs/arena.md); `Database` in schema.ts extends this. */
export interface ArenasTable {
  id: string;
  /** the owner's name (user or org), as shown */
  namespace: string;
  /** lower-cased `namespace/slug`, unique */
  name_lc: string;
  slug: string;
  title: string;
  private: number;
  dataset_repo_id: string;
  /** `namespace/name` of the dataset when the arena was created (display only; the id is followed) */
  dataset: string;
  file: string;
  /** the dataset commit the prompts were read from */
  commit_sha: string;
  prompts: number;
  models: number;
  votes_per_minute: number;
  voter_cap: number;
  live: number;
  created_by: string;
  created_at: string;
}

export interface ArenaPromptsTable {
  arena_id: string;
  idx: number;
  prompt_id: string;
  /** JSON text: a string or a list of {role, content} */
  prompt: string;
  n_models: number;
}

export interface ArenaAnswersTable {
  arena_id: string;
  idx: number;
  model: string;
  answer: string;
  length: number;
  headers: number;
  lists: number;
  bold: number;
}

export interface ArenaBattlesTable {
  id: string;
  arena_id: string;
  user_id: string;
  idx: number;
  model_a: string;
  model_b: string;
  created_at: string;
  winner: string | null;
  voted_at: string | null;
  answer_a: string | null;
  answer_b: string | null;
  style_a: string;
  style_b: string;
  /** 1 when the voter agreed to publication of the vote (migration 0014); 0 by default */
  consent_publish: Generated<number>;
  consent_at: string | null;
  /** the commit of each model's repo on this hub when the battle was dealt; null when the model is not a repo here */
  revision_a: string | null;
  revision_b: string | null;
}

export interface ArenaEndpointsTable {
  arena_id: string;
  model: string;
  base_url: string;
  remote_model: string;
  api_key: string | null;
  created_by: string;
  created_at: string;
}

export interface ArenaTables {
  arenas: ArenasTable;
  arena_prompts: ArenaPromptsTable;
  arena_answers: ArenaAnswersTable;
  arena_battles: ArenaBattlesTable;
  arena_endpoints: ArenaEndpointsTable;
}
