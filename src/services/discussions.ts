import { randomBytes, randomUUID } from 'node:crypto';
import { type Selectable, sql, type Transaction } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { can, canDiscuss } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import type { Database } from '../db/schema.js';
import type { DiscussionEventsTable, DiscussionsTable } from '../db/schema-discussions.js';
import type { HubEvent } from './events.js';
import type { Hub } from './hub.js';
import { accessInfo, eventRepo, type RepoRow } from './repos.js';

export type DiscussionRow = Selectable<DiscussionsTable>;
export type DiscussionEventRow = Selectable<DiscussionEventsTable>;
export type DiscussionStatus = DiscussionRow['status'];

/** Bounds on what one request may write (characters). */
export const DISCUSSION_LIMITS = { titleMax: 200, commentMax: 65_536, pageSize: 50 };

/** A signed-in actor: only they write to discussions. */
export type UserActor = Extract<Actor, { kind: 'user' }>;

// ---------------------------------------------------------------------------
// Who may do what (docs/discussions.md)
// ---------------------------------------------------------------------------

/** Opening discussions and commenting: signed in, can read, credential allows `discussion.write`. */
export function requireDiscuss(actor: Actor, repo: RepoRow): UserActor {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be signed in (or send a token) to take part in discussions');
  if (!canDiscuss(actor, accessInfo(repo))) throw new HubError('Forbidden', 'Your token does not allow writing to discussions (a read token cannot)');
  return actor;
}

export function isWriter(actor: Actor, repo: RepoRow): boolean {
  return can(actor, 'write', accessInfo(repo));
}

function isAuthor(actor: Actor, d: { author_id: string | null }): boolean {
  return actor.kind === 'user' && d.author_id !== null && d.author_id === actor.user.id;
}

/** Renaming, closing and reopening: the discussion's author or a writer. */
export function mayModify(actor: Actor, repo: RepoRow, d: DiscussionRow): boolean {
  return actor.kind === 'user' && canDiscuss(actor, accessInfo(repo)) && (isAuthor(actor, d) || isWriter(actor, repo));
}

/** Editing a comment: its author only (writers may hide it, not put words in its mouth). */
export function mayEditComment(actor: Actor, repo: RepoRow, e: DiscussionEventRow): boolean {
  return actor.kind === 'user' && canDiscuss(actor, accessInfo(repo)) && isAuthor(actor, e);
}

/** Hiding a comment: its author or a writer. */
export function mayHideComment(actor: Actor, repo: RepoRow, e: DiscussionEventRow): boolean {
  return actor.kind === 'user' && canDiscuss(actor, accessInfo(repo)) && (isAuthor(actor, e) || isWriter(actor, repo));
}

// ---------------------------------------------------------------------------
// Input checks
// ---------------------------------------------------------------------------

export function validateTitle(title: unknown): string {
  if (typeof title !== 'string' || title.trim().length === 0) throw new HubError('BadRequest', '"title" is required');
  const t = title.trim();
  if ([...t].length > DISCUSSION_LIMITS.titleMax) throw new HubError('BadRequest', `The title is too long (at most ${DISCUSSION_LIMITS.titleMax} characters)`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(t)) throw new HubError('BadRequest', 'The title cannot contain control characters or line breaks');
  return t;
}

export function validateComment(content: unknown, what = 'comment', allowEmpty = false): string {
  if (content === undefined || content === null) {
    if (allowEmpty) return '';
    throw new HubError('BadRequest', `"${what}" is required`);
  }
  if (typeof content !== 'string') throw new HubError('BadRequest', `"${what}" must be a string`);
  if (!allowEmpty && content.trim().length === 0) throw new HubError('BadRequest', `The ${what} cannot be empty`);
  if (content.length > DISCUSSION_LIMITS.commentMax) throw new HubError('BadRequest', `The ${what} is too long (at most ${DISCUSSION_LIMITS.commentMax} characters)`);
  return content;
}

/** A discussion number from the URL: a positive integer, nothing else. */
export function parseNum(s: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(s)) throw new HubError('BadRequest', `Invalid discussion number ${JSON.stringify(s.slice(0, 40))}: expected a positive integer`);
  return Number(s);
}

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

export interface ListQuery {
  page: number;
  type: 'all' | 'discussion' | 'pull_request';
  status: 'all' | 'open' | 'closed' | 'merged' | 'draft';
  author: string | undefined;
  search: string | undefined;
}

/** Which stored statuses a list filter means: "open" takes drafts in, "closed" merged PRs. */
const STATUS_FILTER: Record<ListQuery['status'], DiscussionStatus[] | undefined> = {
  all: undefined,
  open: ['open', 'draft'],
  closed: ['closed', 'merged'],
  merged: ['merged'],
  draft: ['draft'],
};

function likePattern(s: string): string {
  return `%${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One page of a repo's discussions, newest first (page-number pagination, spec 8.2). */
export async function listDiscussions(hub: Hub, repo: RepoRow, q: ListQuery): Promise<{ rows: DiscussionRow[]; count: number; start: number }> {
  let query = hub.db.selectFrom('discussions').where('repo_id', '=', repo.id);
  if (q.type !== 'all') query = query.where('is_pull_request', '=', q.type === 'pull_request' ? 1 : 0);
  const statuses = STATUS_FILTER[q.status];
  if (statuses) query = query.where('status', 'in', statuses);
  if (q.author) {
    const author = q.author.toLowerCase();
    query = query.where((eb) => eb(eb.fn('lower', ['author_name']), '=', author));
  }
  if (q.search) query = query.where(sql<boolean>`lower(title) like ${likePattern(q.search)} escape '\\'`);
  const start = q.page * DISCUSSION_LIMITS.pageSize;
  const { n } = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  const rows = await query.selectAll().orderBy('num', 'desc').limit(DISCUSSION_LIMITS.pageSize).offset(start).execute();
  return { rows, count: Number(n), start };
}

export async function findDiscussion(hub: Pick<Hub, 'db'>, repoId: string, num: number): Promise<DiscussionRow | undefined> {
  return hub.db.selectFrom('discussions').selectAll().where('repo_id', '=', repoId).where('num', '=', num).executeTakeFirst();
}

export async function getDiscussion(hub: Hub, repo: RepoRow, num: number): Promise<DiscussionRow> {
  const d = await findDiscussion(hub, repo.id, num);
  if (!d) throw new HubError('NotFound', `Discussion #${num} does not exist in ${repo.namespace}/${repo.name}`);
  return d;
}

export async function listEvents(hub: Hub, discussionId: string): Promise<DiscussionEventRow[]> {
  return hub.db.selectFrom('discussion_events').selectAll().where('discussion_id', '=', discussionId).orderBy('position').execute();
}

async function getComment(hub: Hub, d: DiscussionRow, id: string): Promise<DiscussionEventRow> {
  const e = await hub.db.selectFrom('discussion_events').selectAll().where('discussion_id', '=', d.id).where('id', '=', id).executeTakeFirst();
  if (!e || e.type !== 'comment') throw new HubError('NotFound', `Comment ${id.slice(0, 40)} does not exist in discussion #${d.num}`);
  return e;
}

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

type Trx = Transaction<Database>;

/** Hex ids like the Hub's (PY treats them as opaque strings). */
function eventId(): string {
  return randomBytes(12).toString('hex');
}

function isUniqueViolation(err: unknown): boolean {
  return /unique|duplicate/i.test(String(err));
}

/**
 * Runs a transaction that takes the next number (of a discussion, or of an
 * event in a thread). The unique constraints decide races between writers,
 * in this process or another: the loser starts again with fresh numbers.
 */
async function withNextNumber<T>(hub: Hub, fn: (trx: Trx) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await hub.db.transaction().execute(fn);
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= 20) throw err;
    }
  }
}

export interface NewEvent {
  type: DiscussionEventRow['type'];
  author: { id: string | null; name: string };
  data?: Record<string, unknown>;
  content?: string;
  at?: string;
}

async function insertEvents(trx: Trx, discussionId: string, events: NewEvent[]): Promise<DiscussionEventRow[]> {
  const last = await trx.selectFrom('discussion_events').select((eb) => eb.fn.max('position').as('p')).where('discussion_id', '=', discussionId).executeTakeFirst();
  let position = Number(last?.p ?? 0);
  const rows: DiscussionEventRow[] = events.map((e) => ({
    id: eventId(),
    discussion_id: discussionId,
    position: ++position,
    type: e.type,
    author_id: e.author.id,
    author_name: e.author.name,
    created_at: e.at ?? nowIso(),
    data: JSON.stringify(e.data ?? {}),
    content: e.type === 'comment' ? (e.content ?? '') : null,
    edited: 0,
    hidden: 0,
    updated_at: null,
    updated_by: null,
  }));
  if (rows.length) await trx.insertInto('discussion_events').values(rows).execute();
  await trx.updateTable('discussions').set({ updated_at: nowIso() }).where('id', '=', discussionId).execute();
  return rows;
}

/** Appends events to a thread (their positions follow the last one). */
export function appendEvents(hub: Hub, discussionId: string, events: NewEvent[]): Promise<DiscussionEventRow[]> {
  return withNextNumber(hub, (trx) => insertEvents(trx, discussionId, events));
}

export function who(actor: UserActor): { id: string; name: string } {
  return { id: actor.user.id, name: actor.user.name };
}

export interface NewDiscussion {
  title: string;
  description: string;
  pullRequest: boolean;
  status: DiscussionStatus;
  targetBranch: string | null;
}

/**
 * Inserts a discussion with the repo's next number and its opening comment.
 * Announcing it is the caller's job (a pull request is announced once its
 * ref exists and its first commit landed).
 */
export async function insertDiscussion(hub: Hub, actor: UserActor, repo: RepoRow, input: NewDiscussion): Promise<{ discussion: DiscussionRow; first: DiscussionEventRow }> {
  return withNextNumber(hub, async (trx) => {
    const last = await trx.selectFrom('discussions').select((eb) => eb.fn.max('num').as('n')).where('repo_id', '=', repo.id).executeTakeFirst();
    // Skip numbers whose refs/pr/<n> exists without a discussion (left by a crash mid-creation): a PR needs its ref free.
    const prRefs = await trx.selectFrom('refs').select('name').where('repo_id', '=', repo.id).where('name', 'like', 'refs/pr/%').execute();
    const lastRef = prRefs.reduce((m, r) => Math.max(m, /^refs\/pr\/(\d{1,9})$/.test(r.name) ? Number(r.name.slice(8)) : 0), 0);
    const now = nowIso();
    const discussion: DiscussionRow = {
      id: randomUUID(),
      repo_id: repo.id,
      num: Math.max(Number(last?.n ?? 0), lastRef) + 1,
      title: input.title,
      status: input.status,
      is_pull_request: input.pullRequest ? 1 : 0,
      author_id: actor.user.id,
      author_name: actor.user.name,
      created_at: now,
      updated_at: now,
      target_branch: input.targetBranch,
      merge_commit: null,
      merged_from: null,
    };
    await trx.insertInto('discussions').values(discussion).execute();
    const [first] = await insertEvents(trx, discussion.id, [{ type: 'comment', author: who(actor), content: input.description, at: now }]);
    return { discussion, first: first! };
  });
}

/** Removes a discussion that never came to be (a pull request whose first commit failed). */
export async function dropDiscussion(hub: Hub, discussionId: string): Promise<void> {
  await hub.db.deleteFrom('discussion_events').where('discussion_id', '=', discussionId).execute();
  await hub.db.deleteFrom('discussions').where('id', '=', discussionId).execute();
}

/** Tells listeners (webhooks) about a discussion or one of its comments. */
export async function announce(
  hub: Hub,
  repo: RepoRow,
  d: DiscussionRow,
  scope: 'discussion' | 'discussion.comment',
  action: 'create' | 'update',
  actor: Actor,
  comment?: DiscussionEventRow,
): Promise<void> {
  const event: HubEvent = {
    scope,
    action,
    repoId: repo.id,
    repo: eventRepo(repo),
    discussion: { num: d.num, title: d.title, isPullRequest: d.is_pull_request === 1, status: d.status, author: d.author_name },
    actor: actor.kind === 'user' ? actor.user.name : null,
    at: nowIso(),
  };
  if (comment) event.comment = { id: comment.id, author: comment.author_name, content: comment.content ?? '', hidden: comment.hidden === 1 };
  await hub.events.emit(event);
}

/** `POST …/discussions` for a plain discussion (pull requests: src/services/pull-requests.ts). */
export async function createDiscussion(hub: Hub, actor: Actor, repo: RepoRow, title: string, description: string): Promise<DiscussionRow> {
  const user = requireDiscuss(actor, repo);
  const { discussion, first } = await insertDiscussion(hub, user, repo, { title, description, pullRequest: false, status: 'open', targetBranch: null });
  await announce(hub, repo, discussion, 'discussion', 'create', actor, first);
  return discussion;
}

export async function addComment(hub: Hub, actor: Actor, repo: RepoRow, d: DiscussionRow, content: string): Promise<DiscussionEventRow> {
  const user = requireDiscuss(actor, repo);
  const [evt] = await appendEvents(hub, d.id, [{ type: 'comment', author: who(user), content }]);
  await announce(hub, repo, d, 'discussion.comment', 'create', actor, evt);
  return evt!;
}

function refuseModify(actor: Actor, repo: RepoRow, d: DiscussionRow, what: string): void {
  requireDiscuss(actor, repo);
  if (!mayModify(actor, repo, d)) throw new HubError('Forbidden', `Only the author of #${d.num} or someone with write access to the repo can ${what}`);
}

export async function changeTitle(hub: Hub, actor: Actor, repo: RepoRow, d: DiscussionRow, title: string): Promise<DiscussionEventRow> {
  refuseModify(actor, repo, d, 'rename it');
  const user = actor as UserActor;
  if (title === d.title) throw new HubError('BadRequest', 'The title is unchanged');
  const evt = await withNextNumber(hub, async (trx) => {
    await trx.updateTable('discussions').set({ title }).where('id', '=', d.id).execute();
    const [e] = await insertEvents(trx, d.id, [{ type: 'title-change', author: who(user), data: { from: d.title, to: title } }]);
    return e!;
  });
  await announce(hub, repo, { ...d, title }, 'discussion', 'update', actor);
  return evt;
}

/**
 * Opens or closes a discussion (a draft pull request is published by
 * opening it). A merged pull request stays merged. The status moves with a
 * compare-and-swap on the old one, so two concurrent changes never both
 * record an event.
 */
export async function changeStatus(hub: Hub, actor: Actor, repo: RepoRow, d: DiscussionRow, status: 'open' | 'closed', comment: string | undefined): Promise<{ status: DiscussionEventRow; comment: DiscussionEventRow | undefined }> {
  refuseModify(actor, repo, d, status === 'open' ? 'reopen it' : 'close it');
  const user = actor as UserActor;
  if (d.status === 'merged') throw new HubError('Conflict', `Pull request #${d.num} is merged; its status cannot change`);
  if (d.status === status) throw new HubError('Conflict', `#${d.num} is already ${status}`);
  const events = await withNextNumber(hub, async (trx) => {
    const moved = await trx.updateTable('discussions').set({ status }).where('id', '=', d.id).where('status', '=', d.status).executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) throw new HubError('Conflict', `#${d.num} was changed by someone else; reload and try again`);
    const list: NewEvent[] = [];
    if (comment) list.push({ type: 'comment', author: who(user), content: comment });
    list.push({ type: 'status-change', author: who(user), data: { status } });
    return insertEvents(trx, d.id, list);
  });
  const updated = { ...d, status };
  const commentEvt = comment ? events[0] : undefined;
  if (commentEvt) await announce(hub, repo, updated, 'discussion.comment', 'create', actor, commentEvt);
  await announce(hub, repo, updated, 'discussion', 'update', actor);
  return { status: events[events.length - 1]!, comment: commentEvt };
}

/** Replaces a comment's text, keeping the earlier versions in its history. */
export async function editComment(hub: Hub, actor: Actor, repo: RepoRow, d: DiscussionRow, commentId: string, content: string): Promise<DiscussionEventRow> {
  requireDiscuss(actor, repo);
  const e = await getComment(hub, d, commentId);
  if (!mayEditComment(actor, repo, e)) throw new HubError('Forbidden', 'Only the author of a comment can edit it');
  if (e.hidden) throw new HubError('Conflict', 'A hidden comment cannot be edited');
  const user = actor as UserActor;
  const data = JSON.parse(e.data) as { history?: unknown[] };
  const history = [...(data.history ?? []), { raw: e.content ?? '', updatedAt: e.updated_at ?? e.created_at, author: { name: e.updated_by ?? e.author_name } }];
  const now = nowIso();
  const patch = { content, edited: 1, updated_at: now, updated_by: user.user.name, data: JSON.stringify({ ...data, history }) };
  // Compare-and-swap on the previous update time: two concurrent edits never lose one silently.
  const r = await hub.db
    .updateTable('discussion_events')
    .set(patch)
    .where('id', '=', e.id)
    .where((eb) => (e.updated_at === null ? eb('updated_at', 'is', null) : eb('updated_at', '=', e.updated_at)))
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new HubError('Conflict', 'The comment was changed by someone else; reload and try again');
  const updated = { ...e, ...patch };
  await announce(hub, repo, d, 'discussion.comment', 'update', actor, updated);
  return updated;
}

export async function hideComment(hub: Hub, actor: Actor, repo: RepoRow, d: DiscussionRow, commentId: string): Promise<DiscussionEventRow> {
  requireDiscuss(actor, repo);
  const e = await getComment(hub, d, commentId);
  if (!mayHideComment(actor, repo, e)) throw new HubError('Forbidden', 'Only the author of a comment or someone with write access to the repo can hide it');
  if (e.hidden) return e;
  const user = actor as UserActor;
  const patch = { hidden: 1, updated_at: nowIso(), updated_by: user.user.name };
  await hub.db.updateTable('discussion_events').set(patch).where('id', '=', e.id).execute();
  const updated = { ...e, ...patch };
  await announce(hub, repo, d, 'discussion.comment', 'update', actor, updated);
  return updated;
}

/** Deletes a repo's discussions and their threads. */
export async function deleteRepoDiscussions(hub: Pick<Hub, 'db'>, repoId: string): Promise<void> {
  await hub.db
    .deleteFrom('discussion_events')
    .where('discussion_id', 'in', (eb) => eb.selectFrom('discussions').select('id').where('repo_id', '=', repoId))
    .execute();
  await hub.db.deleteFrom('discussions').where('repo_id', '=', repoId).execute();
}
