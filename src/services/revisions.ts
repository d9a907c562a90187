import { HubError } from '../core/errors.js';
import { SHA1_RE } from '../core/revision.js';
import type { Hub } from './hub.js';
import type { RepoRow } from './repos.js';

export interface ResolvedRevision {
  commit: string;
  tree: string;
  /** The fully qualified ref when the revision named one. */
  ref: string | undefined;
}

export function revisionNotFound(rev: string): HubError {
  return new HubError('RevisionNotFound', `Invalid rev id: ${rev}`);
}

/**
 * Resolves a revision as the clients send it (spec 1.2): `HEAD`, a branch or
 * tag name, a fully qualified ref (`refs/pr/1`), or a full or short (≥ 5 hex)
 * commit id. Everything is answered from the index, not from git.
 */
export async function resolveRevision(hub: Hub, repo: RepoRow, rev: string): Promise<ResolvedRevision> {
  if (rev.length === 0 || rev.length > 255) throw revisionNotFound(rev);
  const candidates =
    rev === 'HEAD'
      ? [`refs/heads/${repo.default_branch}`]
      : rev.startsWith('refs/')
        ? [rev]
        : [`refs/heads/${rev}`, `refs/tags/${rev}`];
  const refs = await hub.db.selectFrom('refs').select(['name', 'oid']).where('repo_id', '=', repo.id).where('name', 'in', candidates).execute();
  for (const name of candidates) {
    const hit = refs.find((r) => r.name === name);
    if (hit) return { ...(await commitTree(hub, repo, hit.oid, rev)), ref: name };
  }
  if (/^[0-9a-f]{5,40}$/.test(rev)) {
    const rows = SHA1_RE.test(rev)
      ? await hub.db.selectFrom('commits').select(['oid', 'tree_oid']).where('repo_id', '=', repo.id).where('oid', '=', rev).execute()
      : await hub.db.selectFrom('commits').select(['oid', 'tree_oid']).where('repo_id', '=', repo.id).where('oid', 'like', `${rev}%`).limit(2).execute();
    if (rows.length === 1) return { commit: rows[0]!.oid, tree: rows[0]!.tree_oid, ref: undefined };
  }
  throw revisionNotFound(rev);
}

async function commitTree(hub: Hub, repo: RepoRow, oid: string, rev: string): Promise<{ commit: string; tree: string }> {
  const row = await hub.db.selectFrom('commits').select('tree_oid').where('repo_id', '=', repo.id).where('oid', '=', oid).executeTakeFirst();
  if (!row) throw revisionNotFound(rev);
  return { commit: oid, tree: row.tree_oid };
}

/** A revision that must be a branch (commits, branch creation targets). */
export async function resolveBranch(hub: Hub, repo: RepoRow, rev: string): Promise<{ ref: string; commit: string; tree: string }> {
  const name = rev === 'HEAD' ? repo.default_branch : rev.startsWith('refs/heads/') ? rev.slice('refs/heads/'.length) : rev;
  // A pull request's ref takes commits too; who may write there is checked by the caller (src/services/pull-requests.ts).
  const ref = /^refs\/pr\/[1-9][0-9]{0,8}$/.test(rev) ? rev : `refs/heads/${name}`;
  const row = await hub.db.selectFrom('refs').select('oid').where('repo_id', '=', repo.id).where('name', '=', ref).executeTakeFirst();
  if (!row) {
    if (rev.startsWith('refs/')) throw new HubError('BadRequest', `Commits can only target a branch, not ${rev}`);
    throw revisionNotFound(rev);
  }
  const c = await commitTree(hub, repo, row.oid, rev);
  return { ref, ...c };
}
