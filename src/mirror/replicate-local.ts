import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { HubError } from '../core/errors.js';
import { type RepoRef, repoFullName } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import { GitRepo } from '../repo/git-repo.js';
import { gitRepoFor, type Hub } from '../services/hub.js';
import { syncRepo } from '../services/indexer.js';
import { eventRepo, type RepoRow } from '../services/repos.js';
import type { ReplicationRow } from './replicate-store.js';
import { gitCall } from './replicate-git.js';

/**
 * Staging refs of a pull: the source's branches and tags land here first, and
 * move to refs/heads and refs/tags only once their LFS objects are stored.
 * Hidden from clients (`transfer.hideRefs`).
 */
export const STAGING = 'refs/orchard-mirror/';

/** A bare repository in the hub's temp folder, set up as `createRepo` sets up its own, for a repo still being assembled. */
export async function prepareGitDir(hub: Hub, label: string): Promise<GitRepo> {
  const git = new GitRepo(`${hub.tmpDir}/${label}-${randomUUID()}.git`);
  await git.init();
  await gitCall(git.gitDir, ['config', 'transfer.hideRefs', STAGING.slice(0, -1)]);
  return git;
}

export interface NewRepo {
  ref: RepoRef;
  private: boolean;
  gated: string | null;
  defaultBranch: string;
  /** set for a pull mirror: the source, shown on the page and making the repo read-only */
  mirrorOf: string | null;
  /** the assembled bare repository, moved into the git root under the new id */
  gitDir: string;
  /** replication rows to insert with it (their `repo_id` is filled in) */
  links: Omit<ReplicationRow, 'repo_id'>[];
}

/**
 * Turns assembled git directories into local repos, all or nothing: the
 * directories move into the git root first (named by fresh ids, so no row
 * ever points at a missing folder), then one transaction inserts every row
 * with its pending-sync mark and replication record; if it fails (a name
 * taken meanwhile), the moved folders are removed and nothing remains. Then
 * each repo is indexed like any other (a crash before that leaves the pending
 * marks, and start-up indexes them).
 */
export async function adoptRepos(hub: Hub, repos: NewRepo[]): Promise<RepoRow[]> {
  const now = nowIso();
  const rows: RepoRow[] = repos.map((r) => ({
    id: randomUUID(), type: r.ref.type, namespace: r.ref.namespace, name: r.ref.name, full_name_lc: repoFullName(r.ref).toLowerCase(),
    private: r.private ? 1 : 0, gated: r.gated, disabled: 0, created_by: null, created_at: now, last_modified: now,
    default_branch: r.defaultBranch, head_sha: null, card_data: null, pipeline_tag: null, library_name: null,
    downloads: 0, likes: 0, downloads_all_time: 0, trending_score: 0, mirror_of: r.mirrorOf,
  }));
  const moved: string[] = [];
  try {
    for (let i = 0; i < repos.length; i++) {
      const target = gitRepoFor(hub, rows[i]!.id).gitDir;
      await rename(repos[i]!.gitDir, target);
      moved.push(target);
    }
    await hub.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        await trx.insertInto('repos').values(row).execute();
        await trx.deleteFrom('repo_redirects').where('type', '=', row.type).where('full_name_lc', '=', row.full_name_lc).execute();
        await trx.insertInto('pending_syncs').values({ repo_id: row.id, since: now }).execute();
        for (const link of repos[i]!.links) await trx.insertInto('replications').values({ ...link, repo_id: row.id }).execute();
      }
    });
  } catch (err) {
    for (const dir of moved) await rm(dir, { recursive: true, force: true });
    if (/unique|duplicate/i.test(String(err))) throw new HubError('Conflict', `A repo with one of these names was created meanwhile: ${rows.map((r) => `${r.type} ${r.namespace}/${r.name}`).join(', ')}; nothing was created`);
    throw err;
  }
  const created: RepoRow[] = [];
  for (const row of rows) {
    await syncRepo(hub, row.id);
    const fresh = await hub.db.selectFrom('repos').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    await hub.events.emit({ scope: 'repo', action: 'create', repoId: row.id, repo: eventRepo(fresh), actor: null, at: nowIso() });
    created.push(fresh);
  }
  return created;
}
