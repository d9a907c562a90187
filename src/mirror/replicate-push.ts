import { HubError } from '../core/errors.js';
import { gitRepoFor, type Hub } from '../services/hub.js';
import type { RepoRow } from '../services/repos.js';
import { gitCall, refsUnder, remoteGitEnv } from './replicate-git.js';
import { type TransferCount, uploadMissing } from './replicate-lfs.js';
import { lfsPointersIn } from './replicate-pointers.js';
import { createRemoteRepo, type RemoteRepo, remoteDisplay, remoteGitUrl, remoteRepoInfo } from './replicate-remote.js';
import { type ReplicationRow, withClaim } from './replicate-store.js';

export interface PushResult {
  /** the remote repo was created by this push */
  created: boolean;
  pushed: string[];
  /** branches and tags only the remote had, deleted there */
  deleted: string[];
  lfs: TransferCount;
  refs: Map<string, string>;
  remoteId?: string | undefined;
}

/**
 * `orchard mirror push`: makes a repo on another hub a copy of a local one.
 *
 * 1. The remote repo is created (`/api/repos/create`, same visibility) when
 *    it does not exist.
 * 2. LFS objects go first, through the remote's batch API: it answers with
 *    an upload action only for what it lacks, so later pushes send only
 *    what is new; each is verified when the remote asks.
 * 3. Then one atomic `git push` sets every remote branch and tag to the local
 *    one (forced) and deletes the remote branches and tags the local repo
 *    does not have, except the remote's default branch, which a hub refuses
 *    to delete. The remote's `refs/pr/*` are left alone.
 */
export async function pushRepo(hub: Hub, repo: RepoRow, link: ReplicationRow, token: string | undefined, owner: string, signal?: AbortSignal): Promise<PushResult> {
  const target: RemoteRepo = { base: link.url, ref: { type: link.remote_type, namespace: link.remote_repo.split('/')[0]!, name: link.remote_repo.split('/')[1]! } };
  return withClaim(hub.db, link, owner, async () => {
    let info = await remoteRepoInfo(target, token, signal);
    const created = info === undefined;
    if (!info) {
      await createRemoteRepo(target, token, repo.private === 1, signal);
      info = await remoteRepoInfo(target, token, signal);
      if (!info) throw new HubError('BadGateway', `${remoteDisplay(target)} was created but cannot be read with the token given`);
    }
    const gitDir = gitRepoFor(hub, repo.id).gitDir;
    const local = await refsUnder(gitDir, ['refs/heads/', 'refs/tags/']);
    if (local.size === 0) throw new HubError('BadRequest', `${repo.namespace}/${repo.name} has no branch or tag to push`);
    const pointers = await lfsPointersIn(gitDir, [...new Set(local.values())]);
    const lfs = await uploadMissing(hub, target, token, pointers, signal);

    const env = remoteGitEnv(token);
    const url = remoteGitUrl(target);
    const { stdout } = await gitCall(gitDir, ['ls-remote', '--symref', '--', url, 'refs/heads/*', 'refs/tags/*', 'HEAD'], { env, signal });
    const remoteHead = /^ref: (refs\/heads\/\S+)\tHEAD$/m.exec(stdout)?.[1];
    const remoteRefs = stdout
      .split('\n')
      .map((l) => l.split('\t')[1])
      .filter((n): n is string => !!n && (n.startsWith('refs/heads/') || n.startsWith('refs/tags/')) && !n.endsWith('^{}'));
    const deleted = [...new Set(remoteRefs)].filter((n) => !local.has(n) && n !== remoteHead);
    const refspecs = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*', ...deleted.map((n) => `:${n}`)];
    await gitCall(gitDir, ['push', '--quiet', '--atomic', '--no-verify', '--', url, ...refspecs], { env, signal });
    return { created, pushed: [...local.keys()], deleted, lfs, refs: local, remoteId: info.id };
  });
}
