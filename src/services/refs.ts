import type { Actor } from '../auth/actor.js';
import { HubError } from '../core/errors.js';
import { validateRefName } from '../core/revision.js';
import { runGit } from '../repo/git.js';
import { ZERO_OID } from '../repo/git-repo.js';
import { gitRepoFor, type Hub, repoLocks } from './hub.js';
import { markPending, syncRepo } from './indexer.js';
import type { RepoRow } from './repos.js';
import { resolveRevision } from './revisions.js';

async function currentRef(hub: Hub, repo: RepoRow, name: string): Promise<string | undefined> {
  const row = await hub.db.selectFrom('refs').select('oid').where('repo_id', '=', repo.id).where('name', '=', name).executeTakeFirst();
  return row?.oid;
}

function signature(actor: Actor): { name: string; email: string } {
  if (actor.kind !== 'user') return { name: 'orchard', email: 'orchard@users.noreply.orchard' };
  return { name: actor.user.name, email: actor.user.email ?? `${actor.user.name}@users.noreply.orchard` };
}

/** Creates (or with `overwrite`, moves) a branch; 409 when it exists (spec 5.5). */
export async function createBranch(
  hub: Hub,
  actor: Actor,
  repo: RepoRow,
  branch: string,
  opts: { startingPoint?: string | undefined; emptyBranch?: boolean; overwrite?: boolean },
): Promise<void> {
  validateRefName(branch, 'branch');
  const ref = `refs/heads/${branch}`;
  const git = gitRepoFor(hub, repo.id);
  await repoLocks.run(repo.id, async () => {
    const existing = await currentRef(hub, repo, ref);
    if (existing && !opts.overwrite) throw new HubError('Conflict', `Branch ${branch} already exists`);
    let target: string;
    if (opts.emptyBranch) {
      const tree = await git.buildTree(undefined, []);
      target = await git.commitTree(tree, [], `Create empty branch ${branch}`, signature(actor));
    } else {
      target = (await resolveRevision(hub, repo, opts.startingPoint ?? 'HEAD')).commit;
    }
    await markPending(hub, repo.id);
    const ok = await git.updateRef(ref, target, existing ?? ZERO_OID);
    await syncRepo(hub, repo.id);
    if (!ok) throw new HubError('Conflict', `Branch ${branch} was changed by someone else; please retry`);
  });
}

export async function deleteBranch(hub: Hub, repo: RepoRow, branch: string): Promise<void> {
  validateRefName(branch, 'branch');
  if (branch === repo.default_branch) throw new HubError('BadRequest', `Cannot delete the default branch ${branch}`);
  await deleteRefNamed(hub, repo, `refs/heads/${branch}`, `Branch ${branch}`);
}

/** Tags the commit a revision resolves to; an annotated tag when a message is given (spec 5.6). */
export async function createTag(hub: Hub, actor: Actor, repo: RepoRow, revision: string, tag: string, message: string | undefined): Promise<void> {
  validateRefName(tag, 'tag');
  const ref = `refs/tags/${tag}`;
  const git = gitRepoFor(hub, repo.id);
  await repoLocks.run(repo.id, async () => {
    if (await currentRef(hub, repo, ref)) throw new HubError('Conflict', `Tag ${tag} already exists`);
    const commit = (await resolveRevision(hub, repo, revision)).commit;
    const target = message ? await git.createTagObject(tag, commit, message, signature(actor)) : commit;
    await markPending(hub, repo.id);
    const ok = await git.updateRef(ref, target, ZERO_OID);
    await syncRepo(hub, repo.id);
    if (!ok) throw new HubError('Conflict', `Tag ${tag} already exists`);
  });
}

export async function deleteTag(hub: Hub, repo: RepoRow, tag: string): Promise<void> {
  validateRefName(tag, 'tag');
  await deleteRefNamed(hub, repo, `refs/tags/${tag}`, `Tag ${tag}`);
}

async function deleteRefNamed(hub: Hub, repo: RepoRow, ref: string, what: string): Promise<void> {
  const git = gitRepoFor(hub, repo.id);
  await repoLocks.run(repo.id, async () => {
    const refs = await git.listRefs();
    if (!refs.has(ref)) throw new HubError('RevisionNotFound', `${what} does not exist`);
    await markPending(hub, repo.id);
    // git compares against the ref's raw value; read it without peeling.
    const { stdout } = await runGit(git.gitDir, ['rev-parse', '--verify', '--quiet', ref]);
    await git.deleteRef(ref, stdout.toString('utf8').trim());
    await syncRepo(hub, repo.id);
  });
}
