/**
 * Feedback on a model's outputs (docs/feedback.md): submission, the triage
 * queue, and deletion. Exports live in feedback-export.ts.
 *
 * Who may do what: signed-in readers of a model submit (with a credential
 * that allows `discussion.write`, as for discussions: a read token cannot);
 * writers of the model see and triage everything; a submitter sees their own
 * feedback and may delete it while it is still new.
 */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { can, canDiscuss } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import type { FeedbackStatus, FeedbackTable } from '../db/schema-feedback.js';
import { redactText, type RedactionKind } from './feedback-redact.js';
import { FEEDBACK_LIMITS, validateFeedbackBody } from './feedback-schema.js';
import type { Hub } from './hub.js';
import { accessInfo, type RepoRow } from './repos.js';
import { resolveRevision } from './revisions.js';

export type FeedbackRow = Selectable<FeedbackTable>;
export type UserActor = Extract<Actor, { kind: 'user' }>;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export const FEEDBACK_PAGE_SIZE = 50;
export const FEEDBACK_STATUSES: FeedbackStatus[] = ['new', 'accepted', 'rejected'];
const LABEL_RE = /^[a-z0-9][a-z0-9 .:-]{0,39}$/;

export function requireModel(repo: RepoRow): void {
  if (repo.type !== 'model') throw new HubError('NotFound', 'Feedback exists for models only');
}

export function isFeedbackWriter(actor: Actor, repo: RepoRow): boolean {
  return can(actor, 'write', accessInfo(repo));
}

/** Submitting: signed in, can read, and a credential that may write community content. */
export function requireSubmitter(actor: Actor, repo: RepoRow): UserActor {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be signed in (or send a token) to send feedback');
  if (!canDiscuss(actor, accessInfo(repo))) throw new HubError('Forbidden', 'Your token does not allow sending feedback (a read token cannot)');
  return actor;
}

/** Whether a rating counts as "good" (an SFT example as it stands). */
export function ratedGood(rating: string): boolean {
  return rating === 'up' || rating === '4' || rating === '5';
}

export function promptMessages(row: Pick<FeedbackRow, 'prompt'>): ChatMessage[] {
  return JSON.parse(row.prompt) as ChatMessage[];
}

/** Validates a submission (docs/feedback.schema.json) and stores it; the revision is pinned to a commit. */
export async function submitFeedback(hub: Hub, actor: Actor, repo: RepoRow, body: unknown): Promise<FeedbackRow> {
  requireModel(repo);
  const user = requireSubmitter(actor, repo);
  validateFeedbackBody(body);
  const b = body as {
    prompt: string | ChatMessage[];
    response: string;
    modelRevision?: string;
    rating: number | 'up' | 'down';
    categories?: string[];
    correction?: string;
    consent: { publish: boolean };
    note?: string;
  };
  const messages: ChatMessage[] = typeof b.prompt === 'string' ? [{ role: 'user', content: b.prompt }] : b.prompt.map((m) => ({ role: m.role, content: m.content }));
  if (!messages.some((m) => m.role === 'user' && m.content.trim() !== '')) throw new HubError('BadRequest', 'Invalid feedback: prompt needs a non-empty user message');
  const total = messages.reduce((n, m) => n + m.content.length, 0);
  if (total > FEEDBACK_LIMITS.text) throw new HubError('BadRequest', `Invalid feedback: prompt is longer than ${FEEDBACK_LIMITS.text} characters in all`);
  const revision = await resolveRevision(hub, repo, b.modelRevision ?? 'HEAD');
  const now = nowIso();
  const row: FeedbackRow = {
    id: randomUUID(),
    repo_id: repo.id,
    user_id: user.user.id,
    user_name: user.user.name,
    prompt: JSON.stringify(messages),
    response: b.response,
    model_revision: revision.commit,
    rating: String(b.rating),
    categories: JSON.stringify(b.categories ?? []),
    correction: b.correction ?? null,
    note: b.note?.trim() ? b.note : null,
    consent_publish: b.consent.publish ? 1 : 0,
    consent_at: now,
    status: 'new',
    labels: '[]',
    triaged_by: null,
    triaged_at: null,
    created_at: now,
  };
  await hub.db.insertInto('feedback').values(row).execute();
  return row;
}

export interface FeedbackQuery {
  status?: FeedbackStatus;
  label?: string;
  page: number;
}

/** Writers see every item; anyone else only their own (nothing when anonymous). */
export async function listFeedback(hub: Hub, actor: Actor, repo: RepoRow, q: FeedbackQuery): Promise<{ items: FeedbackRow[]; total: number }> {
  requireModel(repo);
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be signed in to see feedback');
  const writer = isFeedbackWriter(actor, repo);
  let query = hub.db.selectFrom('feedback').where('repo_id', '=', repo.id);
  if (!writer) query = query.where('user_id', '=', actor.user.id);
  if (q.status) query = query.where('status', '=', q.status);
  // Labels are stored as a JSON array of strings from a charset without LIKE wildcards or quotes;
  // they are the owners' notes, so others cannot filter on them.
  if (q.label && writer) query = query.where('labels', 'like', `%${JSON.stringify(q.label)}%`);
  const count = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  const items = await query
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(FEEDBACK_PAGE_SIZE)
    .offset(q.page * FEEDBACK_PAGE_SIZE)
    .execute();
  return { items, total: Number(count.n) };
}

/** One item, if the actor may see it; otherwise NotFound, exactly like a missing one. */
export async function getFeedback(hub: Hub, actor: Actor, repo: RepoRow, id: string): Promise<FeedbackRow> {
  requireModel(repo);
  const row = /^[0-9a-f-]{36}$/.test(id) ? await hub.db.selectFrom('feedback').selectAll().where('id', '=', id).where('repo_id', '=', repo.id).executeTakeFirst() : undefined;
  const visible = row && actor.kind === 'user' && (isFeedbackWriter(actor, repo) || row.user_id === actor.user.id);
  if (!row || !visible) {
    if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be signed in to see feedback');
    throw new HubError('NotFound', `Feedback ${id} not found`);
  }
  return row;
}

export function parseLabels(v: unknown): string[] {
  if (!Array.isArray(v)) throw new HubError('BadRequest', 'labels must be an array of strings');
  if (v.length > FEEDBACK_LIMITS.labels) throw new HubError('BadRequest', `At most ${FEEDBACK_LIMITS.labels} labels`);
  const out: string[] = [];
  for (const l of v) {
    if (typeof l !== 'string') throw new HubError('BadRequest', 'labels must be an array of strings');
    const label = l.trim().toLowerCase();
    if (!LABEL_RE.test(label)) throw new HubError('BadRequest', `Invalid label ${JSON.stringify(l).slice(0, 60)}: use up to 40 letters, digits, spaces, '.', ':' or '-'`);
    if (!out.includes(label)) out.push(label);
  }
  return out;
}

/** Accept or reject (and label) an item: writers only. */
export async function triageFeedback(hub: Hub, actor: Actor, repo: RepoRow, id: string, body: Record<string, unknown>): Promise<FeedbackRow> {
  const row = await getFeedback(hub, actor, repo, id);
  if (!isFeedbackWriter(actor, repo) || actor.kind !== 'user') throw new HubError('Forbidden', 'Only writers of this model can triage its feedback');
  const status = body.status;
  if (status !== undefined && status !== 'accepted' && status !== 'rejected' && status !== 'new') throw new HubError('BadRequest', 'status must be "accepted", "rejected" or "new"');
  const labels = body.labels === undefined ? undefined : parseLabels(body.labels);
  if (status === undefined && labels === undefined) throw new HubError('BadRequest', 'Send a status, labels, or both');
  const patch = {
    ...(status !== undefined ? { status: status as FeedbackStatus } : {}),
    ...(labels !== undefined ? { labels: JSON.stringify(labels) } : {}),
    triaged_by: actor.user.name,
    triaged_at: nowIso(),
  };
  await hub.db.updateTable('feedback').set(patch).where('id', '=', row.id).execute();
  return { ...row, ...patch };
}

/** The submitter while it is still new, or a writer at any time. What was exported stays in the dataset's history. */
export async function deleteFeedback(hub: Hub, actor: Actor, repo: RepoRow, id: string): Promise<void> {
  const row = await getFeedback(hub, actor, repo, id);
  const writer = isFeedbackWriter(actor, repo);
  if (!writer && row.status !== 'new') throw new HubError('Forbidden', 'Feedback can be deleted by its submitter only while it is new');
  await hub.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('feedback_exported').where('feedback_id', '=', row.id).execute();
    await trx.deleteFrom('feedback').where('id', '=', row.id).execute();
  });
}

/** Where each item went: feedback id → [{dataset, commit}]. */
export async function exportsOf(hub: Hub, ids: string[]): Promise<Map<string, { dataset: string; commit: string | null }[]>> {
  const out = new Map<string, { dataset: string; commit: string | null }[]>();
  if (ids.length === 0) return out;
  const rows = await hub.db
    .selectFrom('feedback_exported as fe')
    .innerJoin('feedback_exports as x', 'x.id', 'fe.export_id')
    .innerJoin('repos as r', 'r.id', 'fe.dataset_repo_id')
    .select(['fe.feedback_id', 'x.commit_oid', 'x.status', 'r.namespace', 'r.name'])
    .where('fe.feedback_id', 'in', ids)
    .execute();
  for (const r of rows) {
    if (r.status !== 'done') continue;
    const list = out.get(r.feedback_id) ?? [];
    list.push({ dataset: `${r.namespace}/${r.name}`, commit: r.commit_oid });
    out.set(r.feedback_id, list);
  }
  return out;
}

function ratingJson(rating: string): number | string {
  return /^[1-5]$/.test(rating) ? Number(rating) : rating;
}

/** The API shape. Writers also get the redacted preview of what an export would publish. */
export function feedbackJson(repo: RepoRow, row: FeedbackRow, opts: { writer: boolean; exports?: { dataset: string; commit: string | null }[] }): Record<string, unknown> {
  const prompt = promptMessages(row);
  const body: Record<string, unknown> = {
    id: row.id,
    model: `${repo.namespace}/${repo.name}`,
    modelRevision: row.model_revision,
    prompt,
    response: row.response,
    rating: ratingJson(row.rating),
    categories: JSON.parse(row.categories) as string[],
    correction: row.correction,
    note: row.note,
    consent: { publish: row.consent_publish === 1, at: row.consent_at },
    status: row.status,
    labels: JSON.parse(row.labels) as string[],
    author: { name: row.user_name },
    createdAt: row.created_at,
    triagedBy: row.triaged_by,
    triagedAt: row.triaged_at,
    exports: opts.exports ?? [],
  };
  if (!opts.writer) {
    // Labels and who triaged are the owners' working notes; a submitter sees the status.
    delete body.labels;
    delete body.triagedBy;
  }
  if (opts.writer) {
    const counts: Partial<Record<RedactionKind, number>> = {};
    const r = (s: string): string => {
      const out = redactText(s);
      for (const [k, n] of Object.entries(out.counts)) counts[k as RedactionKind] = (counts[k as RedactionKind] ?? 0) + n;
      return out.text;
    };
    body.redacted = {
      prompt: prompt.map((m) => ({ role: m.role, content: r(m.content) })),
      response: r(row.response),
      correction: row.correction === null ? null : r(row.correction),
      counts,
    };
  }
  return body;
}

