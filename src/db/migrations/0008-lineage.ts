import type { Kysely } from 'kysely';
import { basesOf, inferRelation, relationTags } from '../../core/lineage.js';

/**
 * The model tree: one row per base model a model's card names (`base_model`),
 * with the relation declared (`base_model_relation`) or inferred at index time.
 *
 * The base is stored by name, not by repo id: `base_key` is the lower-cased
 * `namespace/name` (or `https://host/namespace/name` for a base on another
 * hub) and is matched against `repos.full_name_lc` and `repo_redirects` when
 * read. So a base created after its children, renamed, deleted or re-created
 * is always seen as the name means now, with no event to miss.
 * Rows go with their child repo (cascade).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('model_lineage')
    .addColumn('child_repo_id', 'text', (c) => c.notNull().references('repos.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('base_name', 'text', (c) => c.notNull())
    .addColumn('base_hub', 'text')
    .addColumn('base_key', 'text', (c) => c.notNull())
    .addColumn('relation', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_lineage_pk', ['child_repo_id', 'position'])
    .execute();
  // Children of a base (by relation): the model tree's main read.
  await db.schema.createIndex('model_lineage_base_idx').on('model_lineage').columns(['base_key', 'relation', 'child_repo_id']).execute();
  await backfillLineage(db);
}

/**
 * Edges of the models indexed before the model tree existed (and that have
 * none), from their stored card and the files at the root of their head; the
 * indexer keeps them up to date from then on. A `quantization_config` inside
 * config.json needs git to read, which a migration does not do: such a model
 * counts as a finetune until its next push re-indexes it.
 */
// `any`: the tables as this migration knows them, not as later code types them.
export async function backfillLineage(d: Kysely<any>): Promise<number> {
  const repos = (await d
    .selectFrom('repos')
    .select(['id', 'full_name_lc', 'card_data', 'head_sha'])
    .where('type', '=', 'model')
    .where('card_data', 'like', '%base_model%')
    .where('id', 'not in', d.selectFrom('model_lineage').select('child_repo_id'))
    .execute()) as { id: string; full_name_lc: string; card_data: string; head_sha: string | null }[];
  let done = 0;
  for (const r of repos) {
    let card: Record<string, unknown>;
    try {
      card = JSON.parse(r.card_data) as Record<string, unknown>;
    } catch {
      continue;
    }
    const bases = basesOf(card, r.full_name_lc);
    if (bases.length === 0) continue;
    let files: string[] = [];
    const commit = r.head_sha ? await d.selectFrom('commits').select('tree_oid').where('repo_id', '=', r.id).where('oid', '=', r.head_sha).executeTakeFirst() : undefined;
    if (commit) {
      const rows = await d.selectFrom('tree_entries').select('entry_name').where('repo_id', '=', r.id).where('tree_oid', '=', commit.tree_oid).where('kind', '=', 'blob').execute();
      files = rows.map((e: { entry_name: string }) => e.entry_name);
    }
    const relation = await inferRelation(card.base_model_relation, bases.length, files, async () => false);
    await d.insertInto('model_lineage').values(bases.map((b, position) => ({ child_repo_id: r.id, position, base_name: b.name, base_hub: b.hub, base_key: b.key, relation }))).execute();
    const tags = relationTags(bases, relation);
    if (tags.length) {
      await d.insertInto('repo_tags').values(tags.map((tag) => ({ repo_id: r.id, tag }))).onConflict((oc: any) => oc.columns(['repo_id', 'tag']).doNothing()).execute();
    }
    done++;
  }
  return done;
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('model_lineage').ifExists().execute();
}
