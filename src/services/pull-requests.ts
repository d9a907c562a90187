import type { Actor } from '../auth/actor.js';
import { log } from '../core/log.js';
import { can, canDiscuss } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import { SHA1_RE } from '../core/revision.js';
import { nowIso } from '../core/time.js';
import { readCapped } from '../repo/diff.js';
import { runGit } from '../repo/git.js';
import { ZERO_OID } from '../repo/git-repo.js';
import { createCommit } from './commit.js';
import { DIFF_LIMITS, type FileChange, treeDiff } from './commit-diff.js';
import type { CommitPayload } from './commit-payload.js';
import {
  announce,
  appendEvents,
  deleteRepoDiscussions,
  type DiscussionEventRow,
  type DiscussionRow,
  dropDiscussion,
  findDiscussion,
  insertDiscussion,
  type NewEvent,
  requireDiscuss,
  type UserActor,
  who,
} from './discussions.js';
import type { HubEvent } from './events.js';
import { gitRepoFor, type Hub, repoLocks } from './hub.js';
import { markPending, syncRepo } from './indexer.js';
import { accessInfo, getRepo, type RepoRow } from './repos.js';
import { resolveBranch, resolveRevision, revisionNotFound } from './revisions.js';

/** `refs/pr/<n>`: the ref a pull request owns. */
export const PR_REF_RE = /^refs\/pr\/([1-9][0-9]{0,8})$/;

export function prNumber(revision: string): number | undefined {
  const m = PR_REF_RE.exec(revision);
  return m ? Number(m[1]) : undefined;
}

/** Caps on what a pull request's diff reads from git (the text in the API, the files on the page). */
export const PR_DIFF_LIMITS = { maxTextBytes: 1024 * 1024, maxFiles: 300, maxPatchBytes: 2 * 1024 * 1024, maxLinesPerFile: 2000 };

const WRITABLE: ReadonlySet<DiscussionRow['status']> = new Set(['open', 'draft']);

// ---------------------------------------------------------------------------
// Who may write to refs/pr/<n>
// ---------------------------------------------------------------------------

/** A pull request by number, or the RevisionNotFound that a missing `refs/pr/<n>` means. */
async function pullRequestFor(hub: Hub, repo: RepoRow, num: number): Promise<DiscussionRow> {
  const d = await findDiscussion(hub, repo.id, num);
  if (!d || d.is_pull_request !== 1) throw revisionNotFound(`refs/pr/${num}`);
  return d;
}

/** May this actor add commits to this pull request now? Its author or a writer, while it is open or a draft. */
function checkPrWrite(actor: Actor, repo: RepoRow, d: DiscussionRow): void {
  const writer = can(actor, 'write', accessInfo(repo));
  if (!writer) {
    requireDiscuss(actor, repo);
    if (actor.kind !== 'user' || d.author_id !== actor.user.id) {
      throw new HubError('Forbidden', `Only the author of pull request #${d.num} or someone with write access to the repo can push to refs/pr/${d.num}`);
    }
  }
  if (!WRITABLE.has(d.status)) throw new HubError('Conflict', `Pull request #${d.num} is ${d.status}: no more commits can go onto it`);
}

/**
 * The repo a commit or preupload may write to (spec 6.7, 6.8): a branch needs
 * write access; `create_pr` needs only the right to discuss (read access
 * opens pull requests); `refs/pr/<n>` needs to be that PR's author or a writer.
 */
export async function repoForCommit(hub: Hub, actor: Actor, ref: RepoRef, revision: string, createPr: boolean): Promise<RepoRow> {
  const num = prNumber(revision);
  if (!createPr && num === undefined) return getRepo(hub, actor, ref, 'write');
  const repo = await getRepo(hub, actor, ref, 'read');
  if (actor.kind === 'anonymous') throw new HubError('Unauthorized', 'You must be authenticated to write; send a token');
  if (createPr) {
    if (num !== undefined) throw new HubError('BadRequest', 'create_pr opens a new pull request from a branch; to add to an existing one, commit to refs/pr/<n> without create_pr');
    requireDiscuss(actor, repo);
    return repo;
  }
  checkPrWrite(actor, repo, await pullRequestFor(hub, repo, num!));
  return repo;
}

/**
 * The repo an LFS batch upload may go to: writers always; others only for a
 * batch naming `ref: refs/pr/<n>` of a pull request they may push to (git-lfs
 * before a push to it, the clients committing onto it).
 */
export async function repoForLfsUpload(hub: Hub, actor: Actor, ref: RepoRef, body: unknown): Promise<RepoRow> {
  const r = typeof body === 'object' && body !== null ? (body as { ref?: unknown }).ref : undefined;
  const name = typeof r === 'object' && r !== null ? (r as { name?: unknown }).name : undefined;
  if (typeof name === 'string' && prNumber(name) !== undefined) {
    const repo = await getRepo(hub, actor, ref, 'read');
    if (can(actor, 'write', accessInfo(repo))) return repo;
    return repoForCommit(hub, actor, ref, name, false);
  }
  return getRepo(hub, actor, ref, 'write');
}

/** The repo a git push may reach, and whether the pusher writes to it or only to their pull requests. */
export async function repoForPush(hub: Hub, actor: Actor, ref: RepoRef): Promise<{ repo: RepoRow; writer: boolean }> {
  const repo = await getRepo(hub, actor, ref, 'read');
  if (can(actor, 'write', accessInfo(repo))) return { repo, writer: true };
  if (actor.kind === 'user' && canDiscuss(actor, accessInfo(repo))) {
    const own = await hub.db
      .selectFrom('discussions')
      .select('num')
      .where('repo_id', '=', repo.id)
      .where('author_id', '=', actor.user.id)
      .where('is_pull_request', '=', 1)
      .where('status', 'in', [...WRITABLE])
      .executeTakeFirst();
    if (own) return { repo, writer: false };
  }
  // Everyone else gets the usual refusal.
  return { repo: await getRepo(hub, actor, ref, 'write'), writer: true };
}

/**
 * The pre-receive hook's question (src/repo/pre-receive-hook.ts): may this
 * pusher update these `refs/pr/<n>`? Answers one message per refusal.
 */
export async function refusedPullRequestPushes(hub: Hub, body: Record<string, unknown>): Promise<string[]> {
  const nums = Array.isArray(body.pullRequests) ? body.pullRequests.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0) : [];
  if (nums.length === 0) return [];
  const repoId = String(body.repoId);
  const pusherId = typeof body.pusherId === 'string' ? body.pusherId : '';
  const writer = body.writer === true;
  const refused: string[] = [];
  for (const n of nums) {
    const d = await findDiscussion(hub, repoId, n);
    if (!d || d.is_pull_request !== 1) refused.push(`refs/pr/${n}: there is no pull request #${n}; open one first (a push cannot create pull requests)`);
    else if (!WRITABLE.has(d.status)) refused.push(`refs/pr/${n}: pull request #${n} is ${d.status}`);
    else if (!writer && d.author_id !== pusherId) refused.push(`refs/pr/${n}: only the author of pull request #${n} or a writer can push to it`);
  }
  return refused;
}

// ---------------------------------------------------------------------------
// Opening pull requests
// ---------------------------------------------------------------------------

async function gitRef(hub: Hub, repo: RepoRow, name: string): Promise<string | undefined> {
  const r = await runGit(gitRepoFor(hub, repo.id).gitDir, ['rev-parse', '--verify', '--quiet', `${name}^{commit}`], { okCodes: [1, 128] });
  const oid = r.stdout.toString('utf8').trim();
  return r.code === 0 && SHA1_RE.test(oid) ? oid : undefined;
}

/** Creates `refs/pr/<n>` at `start` (only if it does not exist) and indexes it. */
async function createPrRef(hub: Hub, repo: RepoRow, num: number, start: string): Promise<void> {
  const git = gitRepoFor(hub, repo.id);
  await repoLocks.run(repo.id, async () => {
    await markPending(hub, repo.id);
    const ok = await git.updateRef(`refs/pr/${num}`, start, ZERO_OID);
    await syncRepo(hub, repo.id);
    if (!ok) throw new HubError('Conflict', `refs/pr/${num} already exists; please retry`);
  });
}

async function removePrRef(hub: Hub, repo: RepoRow, num: number): Promise<void> {
  const git = gitRepoFor(hub, repo.id);
  await repoLocks.run(repo.id, async () => {
    const oid = await gitRef(hub, repo, `refs/pr/${num}`);
    if (!oid) return;
    await markPending(hub, repo.id);
    await git.deleteRef(`refs/pr/${num}`, oid);
    await syncRepo(hub, repo.id);
  });
}

/**
 * `POST …/discussions` with `pullRequest: true`: a draft pull request whose
 * `refs/pr/<n>` starts at the head of the default branch, for commits to come.
 */
export async function createDraftPullRequest(hub: Hub, actor: Actor, repo: RepoRow, title: string, description: string): Promise<DiscussionRow> {
  const user = requireDiscuss(actor, repo);
  const base = await resolveBranch(hub, repo, repo.default_branch);
  const { discussion, first } = await insertDiscussion(hub, user, repo, { title, description, pullRequest: true, status: 'draft', targetBranch: base.ref });
  try {
    await createPrRef(hub, repo, discussion.num, base.commit);
  } catch (err) {
    await dropDiscussion(hub, discussion.id);
    throw err;
  }
  await announce(hub, repo, discussion, 'discussion', 'create', actor, first);
  return discussion;
}

/**
 * A commit with `create_pr=1` (spec 6.8): opens pull request <n> (status
 * open) against the branch `revision`, creates `refs/pr/<n>` at that
 * branch's head (or at `parentCommit`), and commits onto it. If the commit
 * fails, the pull request and its ref are removed again.
 */
export async function commitAsPullRequest(hub: Hub, actor: Actor, repo: RepoRow, revision: string, payload: CommitPayload): Promise<{ commitOid: string; num: number }> {
  const user = requireDiscuss(actor, repo);
  const base = await resolveBranch(hub, repo, revision);
  const start = payload.header.parentCommit ? (await resolveRevision(hub, repo, payload.header.parentCommit)).commit : base.commit;
  const title = payload.header.summary.trim().slice(0, 200) || 'Pull request';
  const { discussion, first } = await insertDiscussion(hub, user, repo, {
    title, description: payload.header.description, pullRequest: true, status: 'open', targetBranch: base.ref,
  });
  let commitOid: string;
  let refCreated = false;
  try {
    await createPrRef(hub, repo, discussion.num, start);
    refCreated = true;
    ({ commitOid } = await createCommit(hub, user, repo, `refs/pr/${discussion.num}`, { ...payload, header: { ...payload.header, parentCommit: start } }));
  } catch (err) {
    // Only a ref this call created is removed: one that was already there is not ours.
    if (refCreated) await removePrRef(hub, repo, discussion.num).catch(() => undefined);
    await dropDiscussion(hub, discussion.id);
    throw err;
  }
  await announce(hub, repo, discussion, 'discussion', 'create', actor, first);
  return { commitOid, num: discussion.num };
}

// ---------------------------------------------------------------------------
// Commit events: every commit that lands on refs/pr/<n>, by API or by push
// ---------------------------------------------------------------------------

/**
 * Listens to `repo.content` (emitted once the index has the new commits)
 * and adds a `commit` event to a pull request for each commit its ref gained.
 */
export async function recordPullRequestCommits(hub: Hub, e: HubEvent): Promise<void> {
  for (const u of e.updatedRefs ?? []) {
    const num = prNumber(u.ref);
    if (num === undefined || !u.newSha) continue;
    const d = await findDiscussion(hub, e.repoId, num);
    if (!d || d.is_pull_request !== 1) continue;
    const gitDir = gitRepoFor(hub, e.repoId).gitDir;
    // New commits: those not already on the ref before, or, for a new ref, not on its target branch.
    const exclude = u.oldSha ? [`^${u.oldSha}`] : d.target_branch ? ['--not', d.target_branch] : [];
    const r = await runGit(gitDir, ['rev-list', '--reverse', '--max-count=100', u.newSha, ...exclude], { okCodes: [128] });
    const oids = r.stdout.toString('utf8').split('\n').filter((l) => SHA1_RE.test(l));
    if (oids.length === 0) continue;
    const known = new Set(
      (await hub.db.selectFrom('discussion_events').select('data').where('discussion_id', '=', d.id).where('type', '=', 'commit').execute())
        .map((row) => (JSON.parse(row.data) as { oid?: string }).oid),
    );
    const rows = await hub.db.selectFrom('commits').select(['oid', 'title', 'author_name']).where('repo_id', '=', e.repoId).where('oid', 'in', oids).execute();
    const byOid = new Map(rows.map((row) => [row.oid, row]));
    const events: NewEvent[] = oids
      .filter((oid) => !known.has(oid))
      .map((oid) => {
        const c = byOid.get(oid);
        return { type: 'commit', author: { id: null, name: c?.author_name ?? e.actor ?? 'unknown' }, data: { subject: c?.title ?? '', oid } };
      });
    if (events.length) await appendEvents(hub, d.id, events);
  }
}

/**
 * Wires discussions to the repo events: a deleted repo's discussions go with
 * it, and commits landing on `refs/pr/<n>` are added to their pull request.
 * Called once from the composition root (src/main.ts).
 */
export function registerDiscussions(hub: Hub): void {
  hub.events.on(async (e) => {
    if (e.scope === 'repo' && e.action === 'delete') await deleteRepoDiscussions(hub, e.repoId);
    if (e.scope === 'repo.content') await recordPullRequestCommits(hub, e);
  });
}

// ---------------------------------------------------------------------------
// Diff, conflicts, merge
// ---------------------------------------------------------------------------

export interface PullRequestState {
  /** Head of refs/pr/<n>. */
  head: string | undefined;
  /** Head of the target branch now. */
  target: string | undefined;
  /** What the diff compares against: the merge base (for a merged PR, the one it had when merged). */
  diffBase: string | undefined;
}

async function mergeBase(gitDir: string, a: string, b: string): Promise<string | undefined> {
  const r = await runGit(gitDir, ['merge-base', a, b], { okCodes: [1] });
  const oid = r.stdout.toString('utf8').trim();
  return r.code === 0 && SHA1_RE.test(oid) ? oid : undefined;
}

export async function pullRequestState(hub: Hub, repo: RepoRow, d: DiscussionRow): Promise<PullRequestState> {
  const gitDir = gitRepoFor(hub, repo.id).gitDir;
  const head = await gitRef(hub, repo, `refs/pr/${d.num}`);
  const target = d.target_branch ? await gitRef(hub, repo, d.target_branch) : undefined;
  const against = d.status === 'merged' && d.merged_from ? d.merged_from : target;
  const diffBase = head && against ? await mergeBase(gitDir, against, head) : undefined;
  return { head, target, diffBase };
}

/** The PR's changes as unified diff text (spec 8.2 `diff`), cut at `PR_DIFF_LIMITS.maxTextBytes`. */
export async function pullRequestDiffText(hub: Hub, repo: RepoRow, state: PullRequestState): Promise<string> {
  if (!state.head || !state.diffBase) return '';
  const gitDir = gitRepoFor(hub, repo.id).gitDir;
  const { out, truncated } = await readCapped(
    gitDir,
    ['diff-tree', '-r', '-p', '--no-color', '--find-renames', '--no-ext-diff', '--no-textconv', state.diffBase, state.head],
    PR_DIFF_LIMITS.maxTextBytes,
  );
  const text = out.toString('utf8');
  return truncated ? `${text.slice(0, text.lastIndexOf('\n') + 1)}\n[diff truncated at ${PR_DIFF_LIMITS.maxTextBytes} bytes]\n` : text;
}

/** The PR's changed files, for the page (same shape as a commit's, see src/services/commit-diff.ts). */
export async function pullRequestFiles(hub: Hub, repo: RepoRow, state: PullRequestState): Promise<{ files: FileChange[]; moreFiles: boolean; patchTruncated: boolean }> {
  if (!state.head || !state.diffBase) return { files: [], moreFiles: false, patchTruncated: false };
  return treeDiff(hub, repo, state.diffBase, state.head, { ...PR_DIFF_LIMITS, maxLinesPerFile: DIFF_LIMITS.maxLinesPerFile });
}

/**
 * `git merge-tree --write-tree` of the target and the PR head: the merged
 * tree, or the files that conflict. Nothing is written to any ref.
 */
async function mergeTree(gitDir: string, target: string, head: string): Promise<{ tree: string; conflicts: string[] }> {
  const r = await runGit(gitDir, ['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', target, head], { okCodes: [1] });
  const fields = r.stdout.toString('utf8').split('\0');
  const tree = fields[0] ?? '';
  if (!SHA1_RE.test(tree)) throw new HubError('Internal', 'git merge-tree gave no tree');
  const conflicts = r.code === 1 ? [...new Set(fields.slice(1).filter(Boolean))] : [];
  return { tree, conflicts };
}

/** Files that would conflict if the PR were merged now (empty when it merges cleanly or is not open). */
export async function conflictingFiles(hub: Hub, repo: RepoRow, d: DiscussionRow, state: PullRequestState): Promise<string[]> {
  if (!WRITABLE.has(d.status) || !state.head || !state.target || !state.diffBase) return [];
  if (state.diffBase === state.target || state.diffBase === state.head) return [];
  return (await mergeTree(gitRepoFor(hub, repo.id).gitDir, state.target, state.head)).conflicts;
}

const MAX_MERGE_ATTEMPTS = 8;

/**
 * Merges a pull request into its target branch (writers only). When the
 * target did not move since the PR branched, it fast-forwards; otherwise a
 * merge commit is built from `git merge-tree --write-tree`. Conflicts refuse
 * the merge (409 with the files) and move nothing. The target moves with a
 * compare-and-swap `update-ref`, so a concurrent push or commit makes this
 * start over on the new head rather than lose it.
 */
export async function mergePullRequest(
  hub: Hub,
  actor: Actor,
  repo: RepoRow,
  num: number,
  comment: string | undefined,
): Promise<{ discussion: DiscussionRow; mergeCommitId: string; events: DiscussionEventRow[] }> {
  if (actor.kind === 'anonymous') throw new HubError('Unauthorized', 'You must be authenticated to merge');
  const user = requireDiscuss(actor, repo);
  if (!can(actor, 'write', accessInfo(repo))) throw new HubError('Forbidden', 'Only someone with write access to the repo can merge pull requests');
  const git = gitRepoFor(hub, repo.id);
  const result = await repoLocks.run(repo.id, async () => {
    // Read again under the lock: a merge that just finished is seen here.
    const d = await findDiscussion(hub, repo.id, num);
    if (!d) throw new HubError('NotFound', `Discussion #${num} does not exist`);
    if (d.is_pull_request !== 1) throw new HubError('BadRequest', `#${num} is a discussion, not a pull request`);
    if (d.status === 'merged') throw new HubError('Conflict', `Pull request #${num} is already merged`);
    if (d.status === 'closed') throw new HubError('Conflict', `Pull request #${num} is closed; reopen it before merging`);
    if (d.status === 'draft') throw new HubError('Conflict', `Pull request #${num} is a draft; publish it (status open) before merging`);
    if (!d.target_branch) throw new HubError('Internal', `Pull request #${num} has no target branch`);
    const targetRef = d.target_branch;
    for (let attempt = 0; attempt < MAX_MERGE_ATTEMPTS; attempt++) {
      const target = await gitRef(hub, repo, targetRef);
      if (!target) throw new HubError('Conflict', `The target branch ${targetRef.replace(/^refs\/heads\//, '')} no longer exists`);
      const head = await gitRef(hub, repo, `refs/pr/${num}`);
      if (!head) throw new HubError('Conflict', `refs/pr/${num} no longer exists`);
      const base = await mergeBase(git.gitDir, target, head);
      if (!base) throw new HubError('Conflict', `Pull request #${num} shares no history with ${targetRef}`);
      if (base === head) throw new HubError('Conflict', `Pull request #${num} has no changes to merge into ${targetRef.replace(/^refs\/heads\//, '')}`);
      let newOid: string;
      if (base === target) {
        newOid = head;
      } else {
        const { tree, conflicts } = await mergeTree(git.gitDir, target, head);
        if (conflicts.length) {
          throw new HubError('Conflict', `Pull request #${num} conflicts with ${targetRef.replace(/^refs\/heads\//, '')} in ${conflicts.length} file(s): ${conflicts.slice(0, 10).join(', ')}`, {
            body: { filesWithConflicts: conflicts },
          });
        }
        newOid = await git.commitTree(tree, [target, head], `Merge pull request #${num}: ${d.title}`, {
          name: user.user.name,
          email: user.user.email ?? `${user.user.name}@users.noreply.orchard`,
        });
      }
      await markPending(hub, repo.id);
      const moved = await git.updateRef(targetRef, newOid, target);
      await syncRepo(hub, repo.id);
      if (!moved) continue;
      const events = await finishMerge(hub, user, d, newOid, target, comment);
      return { discussion: { ...d, status: 'merged' as const, merge_commit: newOid, merged_from: target }, mergeCommitId: newOid, events };
    }
    throw new HubError('Conflict', `${targetRef} keeps moving; please retry the merge`);
  });
  await announce(hub, repo, result.discussion, 'discussion', 'update', actor);
  return result;
}

async function finishMerge(hub: Hub, user: UserActor, d: DiscussionRow, mergeCommit: string, mergedFrom: string, comment: string | undefined): Promise<DiscussionEventRow[]> {
  const r = await hub.db
    .updateTable('discussions')
    .set({ status: 'merged', merge_commit: mergeCommit, merged_from: mergedFrom, updated_at: nowIso() })
    .where('id', '=', d.id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) {
    // Another hub process merged or closed it while this one moved the branch: the branch move stands.
    log.warn('pull request changed while being merged; merge commit recorded anyway', { pull_request: d.num, merge_commit: mergeCommit });
    await hub.db.updateTable('discussions').set({ status: 'merged', merge_commit: mergeCommit, merged_from: mergedFrom }).where('id', '=', d.id).execute();
  }
  const list: NewEvent[] = [];
  if (comment) list.push({ type: 'comment', author: who(user), content: comment });
  list.push({ type: 'status-change', author: who(user), data: { status: 'merged' } });
  return appendEvents(hub, d.id, list);
}
