import { access } from 'node:fs/promises';
import type { Insertable } from 'kysely';
import { nowIso } from '../core/time.js';
import type { CommitsTable, TreeEntriesTable } from '../db/schema.js';
import { CatFile, parseCommit, parseTree } from '../repo/cat-file.js';
import { MAX_POINTER_SIZE, parsePointer } from '../repo/lfs-pointer.js';
import { parseCardMetadata } from './card.js';
import { type LineageAtHead, lineageAtHead, saveLineage } from './lineage-index.js';
import { type EvalsAtHead, evalsAtHead, saveEvals } from './evals-index.js';
import { gitRepoFor, type Hub, KeyedMutex } from './hub.js';

const syncLocks = new KeyedMutex();
const MAX_README_BYTES = 1024 * 1024;

/**
 * Marks a repo as possibly ahead of its index. Written before any write to
 * git; cleared by `syncRepo` once the index has caught up. A crash in between
 * leaves the marker, and start-up re-syncs exactly those repos.
 */
export async function markPending(hub: Hub, repoId: string): Promise<void> {
  await hub.db
    .insertInto('pending_syncs')
    .values({ repo_id: repoId, since: nowIso() })
    .onConflict((oc) => oc.column('repo_id').doNothing())
    .execute();
}

/** Brings the index (refs, commits, trees, card metadata) of one repo up to date with its git refs. */
export function syncRepo(hub: Hub, repoId: string): Promise<void> {
  return syncLocks.run(repoId, async () => {
    // Another process may index the same repo at the same time (docs/operations.md): a snapshot
    // that is no longer current when its transaction begins is dropped and read again.
    for (let attempt = 0; ; attempt++) {
      try {
        return await syncNow(hub, repoId);
      } catch (err) {
        if (!(err instanceof StaleSnapshot) || attempt >= 20) throw err;
      }
    }
  });
}

/** The refs read before indexing moved (in git or in the index) before the index was written. */
class StaleSnapshot extends Error {}

const sameRefs = (a: Map<string, string>, b: Map<string, string>): boolean => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/** Re-syncs every repo left pending by an interrupted write. */
export async function syncPending(hub: Hub, init: (repoId: string) => Promise<void>): Promise<number> {
  const pending = await hub.db.selectFrom('pending_syncs').select('repo_id').execute();
  for (const { repo_id } of pending) {
    const exists = await hub.db.selectFrom('repos').select('id').where('id', '=', repo_id).executeTakeFirst();
    if (!exists) {
      await hub.db.deleteFrom('pending_syncs').where('repo_id', '=', repo_id).execute();
      continue;
    }
    try {
      await access(gitRepoFor(hub, repo_id).gitDir);
    } catch {
      await init(repo_id);
    }
    await syncRepo(hub, repo_id);
  }
  return pending.length;
}

async function syncNow(hub: Hub, repoId: string): Promise<void> {
  const repo = await hub.db.selectFrom('repos').selectAll().where('id', '=', repoId).executeTakeFirst();
  if (!repo) return;
  const git = gitRepoFor(hub, repoId);
  const gitRefs = await git.listRefs();
  const dbRefs = new Map((await hub.db.selectFrom('refs').select(['name', 'oid']).where('repo_id', '=', repoId).execute()).map((r) => [r.name, r.oid]));
  const changed = [...gitRefs].filter(([name, oid]) => dbRefs.get(name) !== oid);
  const removed = [...dbRefs.keys()].filter((name) => !gitRefs.has(name));

  const commits: Insertable<CommitsTable>[] = [];
  const entries: Insertable<TreeEntriesTable>[] = [];
  const trees: string[] = [];
  const cat = new CatFile(git.gitDir);
  let card: ReturnType<typeof parseCardMetadata> | undefined;
  let lineage: LineageAtHead | undefined;
  let evals: EvalsAtHead | undefined;
  let headDate: string | undefined;
  const defaultRef = `refs/heads/${repo.default_branch}`;
  const headOid = gitRefs.get(defaultRef);
  try {
    const seen = new Set<string>();
    const stack = changed.map(([, oid]) => oid);
    while (stack.length) {
      const oid = stack.pop()!;
      if (seen.has(oid)) continue;
      seen.add(oid);
      const known = await hub.db.selectFrom('commits').select('oid').where('repo_id', '=', repoId).where('oid', '=', oid).executeTakeFirst();
      if (known) continue;
      const obj = await cat.contents(oid);
      if (!obj || obj.info.type !== 'commit') continue;
      const c = parseCommit(obj.content);
      const firstLine = c.message.split('\n', 1)[0] ?? '';
      commits.push({
        repo_id: repoId, oid, tree_oid: c.tree, parents: JSON.stringify(c.parents), title: firstLine,
        message: c.message.slice(firstLine.length).replace(/^\n+/, '').replace(/\n+$/, ''),
        author_name: c.authorName, author_email: c.authorEmail, date: c.date,
      });
      await indexTree(hub, repoId, cat, c.tree, entries, trees, new Set());
      stack.push(...c.parents);
    }
    if (headOid && (changed.some(([n]) => n === defaultRef) || repo.head_sha !== headOid)) {
      const headCommit = commits.find((c) => c.oid === headOid) ?? (await hub.db.selectFrom('commits').selectAll().where('repo_id', '=', repoId).where('oid', '=', headOid).executeTakeFirst());
      if (headCommit) {
        headDate = headCommit.date;
        card = await readCard(hub, repoId, cat, headCommit.tree_oid, entries, repo.type);
        // The model tree: edges to the card's base models, and their `base_model:{relation}:{id}` tags.
        lineage = await lineageAtHead(hub, repo, cat, headCommit.tree_oid, entries, card.cardData);
        for (const t of lineage.tags) if (!card.tags.includes(t)) card.tags.push(t);
        // Evaluations: a dataset's eval.yaml, a model's model-index and .eval_results/*.yaml (docs/evaluations.md).
        evals = await evalsAtHead(hub.db, repo, cat, { oid: headOid, tree: headCommit.tree_oid, author: headCommit.author_name }, entries, card.cardData);
      }
    }
  } finally {
    cat.close();
  }

  await hub.db.transaction().execute(async (trx) => {
    if (hub.dialect === 'postgres') {
      // Several processes share this database: without this, a slower sync of an older snapshot
      // could write its refs over a newer one's, and every process would serve the older head.
      // The repo row's lock orders the writers; whoever holds it checks that what it read is
      // still what git and the index say, so the last writer always writes the current refs.
      await trx.selectFrom('repos').select('id').where('id', '=', repoId).forUpdate().execute();
      const dbNow = new Map((await trx.selectFrom('refs').select(['name', 'oid']).where('repo_id', '=', repoId).execute()).map((r) => [r.name, r.oid]));
      if (!sameRefs(await git.listRefs(), gitRefs) || !sameRefs(dbNow, dbRefs)) throw new StaleSnapshot();
    }
    for (let i = 0; i < commits.length; i += 50) {
      await trx.insertInto('commits').values(commits.slice(i, i + 50)).onConflict((oc) => oc.columns(['repo_id', 'oid']).doNothing()).execute();
    }
    for (let i = 0; i < entries.length; i += 100) {
      await trx.insertInto('tree_entries').values(entries.slice(i, i + 100)).onConflict((oc) => oc.columns(['repo_id', 'tree_oid', 'entry_name']).doNothing()).execute();
    }
    for (let i = 0; i < trees.length; i += 200) {
      await trx.insertInto('indexed_trees').values(trees.slice(i, i + 200).map((t) => ({ repo_id: repoId, tree_oid: t }))).onConflict((oc) => oc.columns(['repo_id', 'tree_oid']).doNothing()).execute();
    }
    for (const name of removed) await trx.deleteFrom('refs').where('repo_id', '=', repoId).where('name', '=', name).execute();
    for (const [name, oid] of changed) {
      await trx
        .insertInto('refs')
        .values({ repo_id: repoId, name, oid })
        .onConflict((oc) => oc.columns(['repo_id', 'name']).doUpdateSet({ oid }))
        .execute();
    }
    if (headOid !== (repo.head_sha ?? undefined) || card) {
      await trx
        .updateTable('repos')
        .set({
          head_sha: headOid ?? null,
          // When the head moved, not the commit's own date: a push of old history is still news.
          ...(headDate ? { last_modified: nowIso() } : {}),
          ...(card
            ? { card_data: card.cardData ? JSON.stringify(card.cardData) : null, pipeline_tag: card.pipelineTag ?? null, library_name: card.libraryName ?? null }
            : {}),
        })
        .where('id', '=', repoId)
        .execute();
    }
    if (lineage) await saveLineage(trx, repoId, lineage.edges);
    if (evals) await saveEvals(trx, repoId, evals, repo.type);
    if (card) {
      await trx.deleteFrom('repo_tags').where('repo_id', '=', repoId).execute();
      if (card.tags.length) await trx.insertInto('repo_tags').values(card.tags.map((tag) => ({ repo_id: repoId, tag }))).execute();
    }
    await trx.deleteFrom('pending_syncs').where('repo_id', '=', repoId).execute();
  });

  // The first index of a new repo is its creation (announced by createRepo), not a push.
  if (dbRefs.size > 0 && (changed.length || removed.length)) {
    await hub.events.emit({
      scope: 'repo.content',
      action: 'update',
      repoId,
      repo: { type: repo.type, namespace: repo.namespace, name: repo.name, private: repo.private === 1, headSha: headOid ?? null },
      updatedRefs: [
        ...changed.map(([name, oid]) => ({ ref: name, oldSha: dbRefs.get(name) ?? null, newSha: oid })),
        ...removed.map((name) => ({ ref: name, oldSha: dbRefs.get(name) ?? null, newSha: null })),
      ],
      at: nowIso(),
    });
  }
}

async function indexTree(hub: Hub, repoId: string, cat: CatFile, treeOid: string, out: Insertable<TreeEntriesTable>[], trees: string[], local: Set<string>): Promise<void> {
  if (local.has(treeOid) || trees.includes(treeOid)) return;
  local.add(treeOid);
  const known = await hub.db.selectFrom('indexed_trees').select('tree_oid').where('repo_id', '=', repoId).where('tree_oid', '=', treeOid).executeTakeFirst();
  if (known) return;
  const obj = await cat.contents(treeOid);
  if (!obj || obj.info.type !== 'tree') return;
  const children = parseTree(obj.content);
  // Ask for every blob's size at once: cat-file answers in order through one pipe.
  const infos = await Promise.all(children.map((c) => (c.mode === '40000' || c.mode === '160000' ? undefined : cat.info(c.oid))));
  const smalls = await Promise.all(
    children.map((c, i) => {
      const size = infos[i]?.size;
      return size !== undefined && size <= MAX_POINTER_SIZE ? cat.contents(c.oid) : undefined;
    }),
  );
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    if (c.mode === '40000') {
      out.push({ repo_id: repoId, tree_oid: treeOid, entry_name: c.name, kind: 'tree', mode: '040000', oid: c.oid, size: 0, lfs_oid: null, lfs_size: null });
      await indexTree(hub, repoId, cat, c.oid, out, trees, local);
    } else if (c.mode === '160000') {
      out.push({ repo_id: repoId, tree_oid: treeOid, entry_name: c.name, kind: 'commit', mode: c.mode, oid: c.oid, size: 0, lfs_oid: null, lfs_size: null });
    } else {
      const small = smalls[i];
      const pointer = small ? parsePointer(small.content) : undefined;
      out.push({
        repo_id: repoId, tree_oid: treeOid, entry_name: c.name, kind: 'blob', mode: c.mode, oid: c.oid,
        size: infos[i]?.size ?? 0, lfs_oid: pointer?.oid ?? null, lfs_size: pointer?.size ?? null,
      });
    }
  }
  trees.push(treeOid);
}

async function readCard(hub: Hub, repoId: string, cat: CatFile, rootTree: string, fresh: Insertable<TreeEntriesTable>[], type: 'model' | 'dataset' | 'space'): Promise<ReturnType<typeof parseCardMetadata>> {
  const readme =
    fresh.find((e) => e.tree_oid === rootTree && e.entry_name === 'README.md') ??
    (await hub.db.selectFrom('tree_entries').selectAll().where('repo_id', '=', repoId).where('tree_oid', '=', rootTree).where('entry_name', '=', 'README.md').executeTakeFirst());
  const rootFiles = [
    ...fresh.filter((e) => e.tree_oid === rootTree).map((e) => e.entry_name),
    ...(await hub.db.selectFrom('tree_entries').select('entry_name').where('repo_id', '=', repoId).where('tree_oid', '=', rootTree).execute()).map((e) => e.entry_name),
  ];
  let meta = parseCardMetadata('', type);
  if (readme && !readme.lfs_oid && Number(readme.size) <= MAX_README_BYTES) {
    const obj = await cat.contents(readme.oid);
    if (obj) meta = parseCardMetadata(obj.content.toString('utf8'), type);
  }
  const tags = new Set(meta.tags);
  for (const f of rootFiles) {
    if (f.endsWith('.safetensors')) tags.add('safetensors');
    if (f.endsWith('.gguf')) tags.add('gguf');
    if (f.endsWith('.onnx')) tags.add('onnx');
    if (f === 'pytorch_model.bin') tags.add('pytorch');
  }
  return { ...meta, tags: [...tags] };
}
