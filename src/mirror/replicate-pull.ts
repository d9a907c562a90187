import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { HubError } from '../core/errors.js';
import { type RepoRef, repoFullName } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import { ZERO_OID } from '../repo/git-repo.js';
import { gitRepoFor, type Hub } from '../services/hub.js';
import { markPending, syncRepo } from '../services/indexer.js';
import { namespaceTaken } from '../services/orgs.js';
import { findRepo, type RepoRow } from '../services/repos.js';
import { gitCall, isAncestor, refsUnder, remoteGitEnv } from './replicate-git.js';
import { downloadMissing, type TransferCount } from './replicate-lfs.js';
import { adoptRepos, prepareGitDir, STAGING } from './replicate-local.js';
import { lfsPointersIn } from './replicate-pointers.js';
import { type RemoteInfo, type RemoteRepo, remoteDisplay, remoteGitUrl, remoteRepoInfo } from './replicate-remote.js';
import { type Credentials, findLink, type ReplicationRow, saveLink, tokenOf, withClaim } from './replicate-store.js';

export interface PullResult {
  repo: RepoRow;
  created: boolean;
  /** branches and tags that moved or appeared */
  updated: string[];
  /** branches and tags the source no longer has, deleted here too */
  deleted: string[];
  /** of `updated`, those that moved other than forward: force-pushed on the source, mirrored as such */
  forced: string[];
  lfs: TransferCount;
  refs: Map<string, string>;
  remoteId?: string | undefined;
}

export interface PullOptions {
  source: RemoteRepo;
  /** the local name; default: the source's */
  as?: RepoRef | undefined;
  /** the token to use now; default: the one stored for this mirror */
  token?: string | undefined;
  /** where a stored `--token-env` name is looked up */
  env?: NodeJS.ProcessEnv;
  /** what to store for later (scheduled) pulls */
  creds?: Credentials;
  intervalSeconds?: number | null | undefined;
  signal?: AbortSignal | undefined;
  /** who holds the claim while this runs: 'cli:<pid>', 'scheduler:<pid>' */
  owner: string;
}

/**
 * `orchard mirror pull`: copies a repo from another hub with its full history
 * and LFS objects, or brings an existing mirror up to date.
 *
 * Mirror semantics: the local branches and tags become exactly the source's.
 * A branch force-pushed there is force-moved here (reported in `forced`); a
 * branch or tag deleted there is deleted here. Local `refs/pr/*` are left
 * alone. Refs move only after every LFS object they reach is stored, in one
 * `update-ref` transaction, so a client never sees a commit whose LFS files
 * are missing, and a failed pull changes nothing that clients see.
 */
export async function pullRepo(hub: Hub, opts: PullOptions): Promise<PullResult> {
  const local = opts.as ?? opts.source.ref;
  if (local.type !== opts.source.ref.type) throw new HubError('BadRequest', `A ${opts.source.ref.type} can only be mirrored as a ${opts.source.ref.type}`);
  const existing = await findRepo(hub, local);
  if (existing) {
    const link = await findLink(hub.db, existing.id, 'pull');
    if (!link || link.url !== opts.source.base || link.remote_type !== opts.source.ref.type || link.remote_repo !== repoFullName(opts.source.ref)) {
      throw new HubError('Conflict', `${local.type} ${repoFullName(local)} already exists here and is not a mirror of ${remoteDisplay(opts.source)}; choose another local name with --as`);
    }
    const row = await saveLink(hub.db, existing.id, 'pull', opts.source, opts.creds ?? {}, opts.intervalSeconds);
    return pullExisting(hub, existing, row, opts.token ?? tokenOf(row, opts.env ?? {}), opts.owner, opts.signal);
  }
  return pullNew(hub, local, opts);
}

/** Pulls into an existing mirror, holding its replication row's claim. */
export async function pullExisting(hub: Hub, repo: RepoRow, link: ReplicationRow, token: string | undefined, owner: string, signal?: AbortSignal): Promise<PullResult> {
  const source: RemoteRepo = { base: link.url, ref: { type: link.remote_type, ...splitName(link.remote_repo) } };
  return withClaim(hub.db, link, owner, async () => {
    const info = await sourceInfo(source, token, signal);
    const gitDir = gitRepoFor(hub, repo.id).gitDir;
    const head = await fetchStaged(gitDir, source, token, signal);
    const applied = await applyStaged(hub, gitDir, source, token, signal, async () => markPending(hub, repo.id));
    if (head && head !== repo.default_branch && applied.refs.has(`refs/heads/${head}`)) {
      await gitCall(gitDir, ['symbolic-ref', 'HEAD', `refs/heads/${head}`]);
      await hub.db.updateTable('repos').set({ default_branch: head }).where('id', '=', repo.id).execute();
    }
    // Privacy and gating follow the source; a pull never makes a repo more visible than its source is.
    await hub.db.updateTable('repos').set({ private: info.private ? 1 : repo.private, gated: info.gated || null }).where('id', '=', repo.id).execute();
    await syncRepo(hub, repo.id);
    const fresh = await hub.db.selectFrom('repos').selectAll().where('id', '=', repo.id).executeTakeFirstOrThrow();
    return { ...applied, repo: fresh, created: false, remoteId: info.id };
  });
}

async function pullNew(hub: Hub, local: RepoRef, opts: PullOptions): Promise<PullResult> {
  if (!(await namespaceTaken(hub.db, local.namespace))) {
    throw new HubError('NotFound', `There is no user or organization named ${local.namespace} here: create it first (orchard org create), or choose another local name with --as`);
  }
  const info = await sourceInfo(opts.source, opts.token, opts.signal);
  const git = await prepareGitDir(hub, 'pull');
  try {
    const head = await fetchStaged(git.gitDir, opts.source, opts.token, opts.signal);
    const applied = await applyStaged(hub, git.gitDir, opts.source, opts.token, opts.signal, async () => undefined);
    const defaultBranch = head && applied.refs.has(`refs/heads/${head}`) ? head : 'main';
    if (defaultBranch !== 'main') await gitCall(git.gitDir, ['symbolic-ref', 'HEAD', `refs/heads/${defaultBranch}`]);
    const creds = opts.creds ?? {};
    const now = nowIso();
    const interval = opts.intervalSeconds ?? null;
    const [repo] = await adoptRepos(hub, [
      {
        ref: local, private: info.private, gated: info.gated || null, defaultBranch, mirrorOf: remoteDisplay(opts.source), gitDir: git.gitDir,
        links: [{
          id: randomUUID(), direction: 'pull', url: opts.source.base, remote_type: opts.source.ref.type, remote_repo: repoFullName(opts.source.ref),
          remote_id: info.id ?? null, token: creds.tokenEnv ? null : (creds.token ?? null), token_env: creds.tokenEnv ?? null,
          interval_seconds: interval, next_run_at: interval ? new Date(Date.now() + interval * 1000).toISOString() : null,
          claimed_until: null, claimed_by: null, last_sync_at: now, last_status: 'ok', last_error: null,
          refs: JSON.stringify(Object.fromEntries(applied.refs)), created_at: now,
        }],
      },
    ]);
    return { ...applied, repo: repo!, created: true, remoteId: info.id };
  } finally {
    await rm(git.gitDir, { recursive: true, force: true });
  }
}

function splitName(id: string): { namespace: string; name: string } {
  const [namespace, name] = id.split('/');
  return { namespace: namespace!, name: name! };
}

/** The source's repo info; its absence is a clear error before git is run. */
async function sourceInfo(source: RemoteRepo, token: string | undefined, signal?: AbortSignal): Promise<RemoteInfo> {
  const info = await remoteRepoInfo(source, token, signal);
  if (!info) throw new HubError('NotFound', `${remoteDisplay(source)} does not exist, or ${token ? 'the token given cannot read it' : 'it needs a token (--token)'}`);
  return info;
}

/**
 * Fetches the source's branches and tags into the staging refs (only objects
 * this repo lacks cross the wire: git negotiates with every local ref) and
 * returns the source's default branch.
 */
async function fetchStaged(gitDir: string, source: RemoteRepo, token: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
  const env = remoteGitEnv(token);
  const url = remoteGitUrl(source);
  const { stdout } = await gitCall(gitDir, ['ls-remote', '--symref', '--', url, 'HEAD'], { env, signal });
  const head = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(stdout)?.[1];
  await gitCall(gitDir, ['fetch', '--quiet', '--no-tags', '--prune', '--no-write-fetch-head', '--', url, `+refs/heads/*:${STAGING}heads/*`, `+refs/tags/*:${STAGING}tags/*`], { env, signal });
  return head;
}

/**
 * Stores the LFS objects the staged commits need, then moves the public refs
 * to the staged ones in one transaction (with compare-and-swap on their old
 * values) and drops the staging refs.
 */
async function applyStaged(hub: Hub, gitDir: string, source: RemoteRepo, token: string | undefined, signal: AbortSignal | undefined, beforeRefs: () => Promise<void>): Promise<Omit<PullResult, 'repo' | 'created'>> {
  const staged = await refsUnder(gitDir, [STAGING]);
  const current = await refsUnder(gitDir, ['refs/heads/', 'refs/tags/']);
  const wanted = new Map([...staged].map(([name, oid]) => [`refs/${name.slice(STAGING.length)}`, oid]));
  const changed = [...wanted].filter(([name, oid]) => current.get(name) !== oid);
  const removed = [...current.keys()].filter((name) => !wanted.has(name));
  const pointers = await lfsPointersIn(gitDir, [...new Set(changed.map(([, oid]) => oid))], [...new Set(current.values())]);
  const lfs = await downloadMissing(hub, source, token, pointers, signal);
  const forced: string[] = [];
  for (const [name, oid] of changed) {
    const old = current.get(name);
    if (old && (name.startsWith('refs/tags/') || !(await isAncestor(gitDir, old, oid)))) forced.push(name);
  }
  const lines = [
    ...changed.map(([name, oid]) => `update ${name} ${oid} ${current.get(name) ?? ZERO_OID}`),
    ...removed.map((name) => `delete ${name} ${current.get(name)}`),
    ...[...staged].map(([name, oid]) => `delete ${name} ${oid}`),
  ];
  if (changed.length || removed.length) await beforeRefs();
  if (lines.length) await gitCall(gitDir, ['update-ref', '--stdin'], { input: lines.join('\n') + '\n', signal });
  return { updated: changed.map(([n]) => n), deleted: removed, forced, lfs: { objects: lfs.objects, bytes: lfs.bytes }, refs: wanted };
}
