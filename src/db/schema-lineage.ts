import type { LineageRelation } from '../core/lineage.js';

export type { LineageRelation };

/** One base model named by a model's card (see migration 0008). */
export interface ModelLineageTable {
  child_repo_id: string;
  /** order in the card's `base_model` list */
  position: number;
  /** `namespace/name` as the card wrote it (for a URL: its path) */
  base_name: string;
  /** origin of another hub (`https://huggingface.co`) when the card gave a URL; null: this hub's name space */
  base_hub: string | null;
  /** lower-cased name, prefixed with the hub when there is one: what children are looked up by */
  base_key: string;
  relation: LineageRelation;
}

/** Tables of the model tree; `Database` in schema.ts extends this. */
export interface LineageTables {
  model_lineage: ModelLineageTable;
}
