import { HubError } from '../../core/errors.js';
import { type RepoRef, typePrefix } from '../../core/repo-id.js';
import {
  addComment,
  changeStatus,
  changeTitle,
  createDiscussion,
  DISCUSSION_LIMITS,
  type DiscussionEventRow,
  type DiscussionRow,
  editComment,
  getDiscussion,
  hideComment,
  type ListQuery,
  listDiscussions,
  listEvents,
  parseNum,
  validateComment,
  validateTitle,
} from '../../services/discussions.js';
import type { Hub } from '../../services/hub.js';
import { conflictingFiles, createDraftPullRequest, mergePullRequest, pullRequestDiffText, pullRequestState } from '../../services/pull-requests.js';
import { getRepo, mayReadContent, type RepoRow } from '../../services/repos.js';
import { renderMarkdownCached } from '../../ui/markdown.js';
import { readJsonObject } from '../body.js';
import type { Ctx } from '../context.js';
import { sendJson } from '../respond.js';

// ---------------------------------------------------------------------------
// Shapes (spec 8.2; PY: hf_api.py get_repo_discussions / get_discussion_details, community.py)
// ---------------------------------------------------------------------------

/** A list item, also the head of the details. */
export function discussionJson(repo: RepoRow, d: DiscussionRow, numComments?: number): Record<string, unknown> {
  return {
    num: d.num,
    title: d.title,
    status: d.status,
    isPullRequest: d.is_pull_request === 1,
    createdAt: d.created_at,
    author: { name: d.author_name },
    repo: { name: `${repo.namespace}/${repo.name}`, type: repo.type },
    pinned: false,
    ...(numComments !== undefined ? { numComments } : {}),
  };
}

/** One event of a thread; a hidden comment keeps its place but not its text. */
export function eventJson(e: DiscussionEventRow): Record<string, unknown> {
  const base = { id: e.id, type: e.type, createdAt: e.created_at, author: { name: e.author_name } };
  const data = JSON.parse(e.data) as Record<string, unknown>;
  if (e.type !== 'comment') return { ...base, data };
  const hidden = e.hidden === 1;
  const raw = hidden ? '' : (e.content ?? '');
  const history = Array.isArray(data.history) ? (data.history as Record<string, unknown>[]) : [];
  return {
    ...base,
    data: {
      edited: e.edited === 1,
      hidden,
      numEdits: history.length,
      latest: {
        raw,
        html: raw ? renderMarkdownCached(raw) : '',
        updatedAt: e.updated_at ?? e.created_at,
        author: { name: e.updated_by ?? e.author_name },
      },
      // Earlier versions are part of what hiding hides.
      history: hidden ? [] : history,
    },
  };
}

// ---------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------

function methodIs(ctx: Ctx, ...methods: string[]): void {
  if (!methods.includes(ctx.method)) throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
}

const TYPES = new Set(['all', 'discussion', 'pull_request']);
const STATUSES = new Set(['all', 'open', 'closed', 'merged', 'draft']);

function listQuery(ctx: Ctx): ListQuery {
  const q = ctx.url.searchParams;
  const p = q.get('p') ?? '0';
  if (!/^[0-9]{1,6}$/.test(p)) throw new HubError('BadRequest', '"p" must be a page number (0, 1, …)');
  const type = q.get('type') || 'all';
  if (!TYPES.has(type)) throw new HubError('BadRequest', '"type" must be one of all, discussion, pull_request');
  const status = q.get('status') || 'all';
  if (!STATUSES.has(status)) throw new HubError('BadRequest', '"status" must be one of all, open, closed, merged, draft');
  const author = q.get('author')?.trim() || undefined;
  const search = q.get('search')?.trim().slice(0, 200) || undefined;
  return { page: Number(p), type: type as ListQuery['type'], status: status as ListQuery['status'], author, search };
}

async function commentCounts(hub: Hub, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await hub.db
    .selectFrom('discussion_events')
    .select(['discussion_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('discussion_id', 'in', ids)
    .where('type', '=', 'comment')
    .groupBy('discussion_id')
    .execute();
  return new Map(rows.map((r) => [r.discussion_id, Number(r.n)]));
}

/** Details: the item, its events, and for a pull request its target, merge commit, conflicts and (with `diff=1`) diff. */
export async function discussionDetails(hub: Hub, repo: RepoRow, d: DiscussionRow, withDiff: boolean): Promise<Record<string, unknown>> {
  const events = await listEvents(hub, d.id);
  const body: Record<string, unknown> = { ...discussionJson(repo, d, events.filter((e) => e.type === 'comment').length), events: events.map(eventJson) };
  if (d.is_pull_request === 1) {
    const state = await pullRequestState(hub, repo, d);
    body.changes = { base: d.target_branch, ...(d.merge_commit ? { mergeCommitId: d.merge_commit } : {}) };
    body.filesWithConflicts = await conflictingFiles(hub, repo, d, state);
    if (withDiff) body.diff = await pullRequestDiffText(hub, repo, state);
  }
  return body;
}


async function body(ctx: Ctx): Promise<Record<string, unknown>> {
  return readJsonObject(ctx.req, Math.max(ctx.hub.limits.maxJsonBodyBytes, DISCUSSION_LIMITS.commentMax * 4 + 4096));
}

/** `/api/{T}/{repo}/discussions[/…]` (spec 8.2): args are the decoded segments after `discussions`. */
export async function discussionsRoute(ctx: Ctx, ref: RepoRef, args: string[]): Promise<void> {
  const { hub } = ctx;
  const actor = await ctx.actor();
  // The repo first: a private repo is missing to those who cannot read it, whatever follows in the URL.
  const repo = await getRepo(hub, actor, ref, 'read');
  if (args.length === 0) {
    methodIs(ctx, 'GET', 'POST');
    if (ctx.method === 'GET') {
      const { rows, count, start } = await listDiscussions(hub, repo, listQuery(ctx));
      const counts = await commentCounts(hub, rows.map((r) => r.id));
      sendJson(ctx, 200, { discussions: rows.map((d) => discussionJson(repo, d, counts.get(d.id) ?? 0)), count, start });
      return;
    }
    const b = await body(ctx);
    const title = validateTitle(b.title);
    const description = validateComment(b.description, 'description', true);
    if (b.pullRequest !== undefined && typeof b.pullRequest !== 'boolean') throw new HubError('BadRequest', '"pullRequest" must be true or false');
    const d = b.pullRequest === true ? await createDraftPullRequest(hub, actor, repo, title, description) : await createDiscussion(hub, actor, repo, title, description);
    const url = `${ctx.baseUrl}/${typePrefix(repo.type)}${repo.namespace}/${repo.name}/discussions/${d.num}`;
    sendJson(ctx, 200, { ...discussionJson(repo, d, 1), url, ...(d.is_pull_request ? { gitReference: `refs/pr/${d.num}` } : {}) });
    return;
  }
  const num = parseNum(args[0]!);
  const [, action, commentId, commentAction] = args;
  if (args.length === 1) {
    methodIs(ctx, 'GET', 'HEAD');
    const d = await getDiscussion(hub, repo, num);
    // A gated repo's file contents (and so a PR's diff) need approved access; the thread does not.
    sendJson(ctx, 200, await discussionDetails(hub, repo, d, ctx.flag('diff') && (await mayReadContent(ctx.hub, await ctx.actor(), ref))));
    return;
  }
  methodIs(ctx, 'POST');
  if (args.length === 4 && action === 'comment' && (commentAction === 'edit' || commentAction === 'hide')) {
    const d = await getDiscussion(hub, repo, num);
    const id = commentId!;
    if (commentAction === 'edit') {
      const b = await body(ctx);
      const content = validateComment(b.content, 'content');
      sendJson(ctx, 200, { updatedComment: eventJson(await editComment(hub, actor, repo, d, id, content)) });
    } else {
      sendJson(ctx, 200, { updatedComment: eventJson(await hideComment(hub, actor, repo, d, id)) });
    }
    return;
  }
  if (args.length !== 2) throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
  switch (action) {
    case 'comment': {
      const b = await body(ctx);
      const content = validateComment(b.comment);
      const d = await getDiscussion(hub, repo, num);
      sendJson(ctx, 200, { newMessage: eventJson(await addComment(hub, actor, repo, d, content)) });
      return;
    }
    case 'title': {
      const b = await body(ctx);
      const title = validateTitle(b.title);
      const d = await getDiscussion(hub, repo, num);
      sendJson(ctx, 200, { newTitle: eventJson(await changeTitle(hub, actor, repo, d, title)) });
      return;
    }
    case 'status': {
      const b = await body(ctx);
      if (b.status !== 'open' && b.status !== 'closed') throw new HubError('BadRequest', '"status" must be "open" or "closed"');
      const comment = b.comment === undefined || b.comment === null || b.comment === '' ? undefined : validateComment(b.comment);
      const d = await getDiscussion(hub, repo, num);
      const r = await changeStatus(hub, actor, repo, d, b.status, comment);
      sendJson(ctx, 200, { newStatus: eventJson(r.status), ...(r.comment ? { newMessage: eventJson(r.comment) } : {}) });
      return;
    }
    case 'merge': {
      const b = await body(ctx);
      const comment = b.comment === undefined || b.comment === null || b.comment === '' ? undefined : validateComment(b.comment);
      await getDiscussion(hub, repo, num);
      const r = await mergePullRequest(hub, actor, repo, num, comment);
      const status = r.events[r.events.length - 1]!;
      sendJson(ctx, 200, { newStatus: eventJson(status), mergeCommitId: r.mergeCommitId });
      return;
    }
    default:
      throw new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
  }
}
