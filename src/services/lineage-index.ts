import type { Insertable, Kysely } from 'kysely';
import { basesOf, inferRelation, relationTags } from '../core/lineage.js';
import type { ModelLineageTable } from '../db/schema-lineage.js';
import type { Database, TreeEntriesTable } from '../db/schema.js';
import type { CatFile } from '../repo/cat-file.js';
import type { RepoType } from '../core/repo-id.js';

/**
 * Extraction of a model's lineage from its card and files, run by the
 * indexer whenever the default branch's head moves. Kept apart from the
 * queries (lineage.ts) because the indexer sits below the repo services.
 */

/** `config.json` is read only to look for `quantization_config`; real ones are a few KiB. */
const MAX_CONFIG_BYTES = 512 * 1024;

export interface LineageAtHead {
  edges: Insertable<ModelLineageTable>[];
  /** `base_model:{relation}:{id}` tags; the card already gives `base_model:{id}` */
  tags: string[];
}

type RootEntry = Pick<Insertable<TreeEntriesTable>, 'entry_name' | 'kind' | 'oid' | 'size' | 'lfs_oid'>;

export { isRelation, RELATIONS } from '../core/lineage.js';

/**
 * The lineage of a repo at its head: called by the indexer with the head's
 * root tree, the entries it has just indexed (not yet in the database) and
 * its open `cat-file`, which reads `config.json` when that decides the relation.
 */
export async function lineageAtHead(
  hub: { db: Kysely<Database> },
  repo: { id: string; type: RepoType; full_name_lc: string },
  cat: CatFile,
  rootTree: string,
  fresh: Insertable<TreeEntriesTable>[],
  cardData: Record<string, unknown> | undefined,
): Promise<LineageAtHead> {
  if (repo.type !== 'model') return { edges: [], tags: [] };
  const bases = basesOf(cardData, repo.full_name_lc);
  if (bases.length === 0) return { edges: [], tags: [] };
  const root = new Map<string, RootEntry>();
  for (const e of fresh) if (e.tree_oid === rootTree) root.set(e.entry_name, e);
  if (root.size === 0) {
    const rows = await hub.db.selectFrom('tree_entries').select(['entry_name', 'kind', 'oid', 'size', 'lfs_oid']).where('repo_id', '=', repo.id).where('tree_oid', '=', rootTree).execute();
    for (const e of rows) root.set(e.entry_name, e);
  }
  const blobNames = [...root.values()].filter((e) => e.kind === 'blob').map((e) => e.entry_name);
  const relation = await inferRelation(cardData?.base_model_relation, bases.length, blobNames, async () => {
    const config = root.get('config.json');
    if (!config || config.kind !== 'blob' || config.lfs_oid || Number(config.size) > MAX_CONFIG_BYTES) return false;
    const obj = await cat.contents(config.oid);
    if (!obj) return false;
    try {
      const parsed = JSON.parse(obj.content.toString('utf8')) as unknown;
      const q = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).quantization_config : undefined;
      return typeof q === 'object' && q !== null;
    } catch {
      return false;
    }
  });
  return {
    edges: bases.map((b, position) => ({ child_repo_id: repo.id, position, base_name: b.name, base_hub: b.hub, base_key: b.key, relation })),
    tags: relationTags(bases, relation),
  };
}

/** Replaces a repo's outgoing edges (in the indexer's transaction). */
export async function saveLineage(db: Kysely<Database>, repoId: string, edges: Insertable<ModelLineageTable>[]): Promise<void> {
  await db.deleteFrom('model_lineage').where('child_repo_id', '=', repoId).execute();
  if (edges.length) await db.insertInto('model_lineage').values(edges).execute();
}
