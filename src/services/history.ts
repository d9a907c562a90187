import { gitRepoFor, type Hub } from './hub.js';
import type { RepoRow } from './repos.js';

export interface CommitSummary {
  id: string;
  title: string;
  message: string;
  date: string;
  authorName: string;
  authorEmail: string;
  parents: string[];
}

/**
 * Commits reachable from `commit`, newest first. git walks the graph (it
 * knows the order); the metadata comes from the index.
 */
export async function listCommits(hub: Hub, repo: RepoRow, commit: string, offset: number, limit: number): Promise<{ commits: CommitSummary[]; total: number }> {
  const git = gitRepoFor(hub, repo.id);
  const [oids, total] = await Promise.all([git.log(commit, offset, limit), git.countCommits(commit)]);
  const rows = oids.length
    ? await hub.db.selectFrom('commits').selectAll().where('repo_id', '=', repo.id).where('oid', 'in', oids).execute()
    : [];
  const byOid = new Map(rows.map((r) => [r.oid, r]));
  const commits = oids.flatMap((oid) => {
    const r = byOid.get(oid);
    return r
      ? [{ id: r.oid, title: r.title, message: r.message, date: r.date, authorName: r.author_name, authorEmail: r.author_email, parents: JSON.parse(r.parents) as string[] }]
      : [];
  });
  return { commits, total };
}

/** The last commit that touched `path` at or before `commit` (for `expand=true`). */
export async function lastCommitOf(hub: Hub, repo: RepoRow, commit: string, path: string): Promise<{ id: string; title: string; date: string } | undefined> {
  const oid = await gitRepoFor(hub, repo.id).lastCommitFor(commit, path);
  if (!oid) return undefined;
  const row = await hub.db.selectFrom('commits').select(['oid', 'title', 'date']).where('repo_id', '=', repo.id).where('oid', '=', oid).executeTakeFirst();
  return row ? { id: row.oid, title: row.title, date: row.date } : undefined;
}
