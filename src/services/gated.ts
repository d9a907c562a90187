import { sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { bypassesGate, canManageGate, roleIn } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { type RepoRef, repoFullName } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import { type AuditSource, recordAudit } from './audit.js';
import { gateFields, validateGateAnswers } from './gate-form.js';
import type { Hub } from './hub.js';
import { accessInfo, getRepo, type RepoRow } from './repos.js';

/**
 * Access requests to gated repos (issue 3, item 4). The gate itself is
 * enforced by `getRepo(…, 'content')`; this module keeps the requests it
 * reads: one row per (repo, user), whose status moves between `pending`,
 * `accepted` and `rejected`.
 *
 * Decisions:
 * - `auto` accepts a request at once; `manual` leaves it pending. Switching a
 *   repo to `auto` accepts the pending requests (`acceptPendingRequests`), since
 *   anyone who asks now would be let in; rejected ones stay rejected.
 * - A rejected user cannot ask again (409): the rejection stands until a
 *   manager cancels it (back to pending) or accepts it. Otherwise re-asking
 *   would undo a rejection, at once on an `auto` repo.
 * - Turning gating off keeps every request, so turning it on again restores
 *   who had access.
 */
export type GateStatus = 'pending' | 'accepted' | 'rejected';
export const GATE_STATUSES: readonly GateStatus[] = ['pending', 'accepted', 'rejected'];

export interface AccessRequest {
  user: { name: string; fullname: string; email: string | null };
  status: GateStatus;
  /** the requester's answers; null when a manager granted access without a request */
  fields: Record<string, unknown> | null;
  requestedAt: string;
  updatedAt: string;
  rejectionReason: string | null;
}

const MAX_REASON = 200;

function target(row: RepoRow): string {
  return `${row.type}:${row.namespace}/${row.name}`;
}

function notGated(row: RepoRow): HubError {
  return new HubError('BadRequest', `The ${row.type} ${repoFullName(row)} is not gated`);
}

/** The repo, if the actor may manage its access requests; a repo they cannot see is missing, as always. */
export async function repoToManage(hub: Hub, actor: Actor, ref: RepoRef): Promise<RepoRow> {
  const row = await getRepo(hub, actor, ref, 'read');
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated to manage access requests');
  if (!canManageGate(actor, accessInfo(row))) {
    const role = roleIn(actor, row.namespace);
    const why = role === 'write' || role === 'admin' ? 'your token does not allow it' : `you need a write role in ${row.namespace}`;
    throw new HubError('Forbidden', `You cannot manage access requests of ${repoFullName(row)}: ${why}`);
  }
  return row;
}

function baseQuery(hub: Pick<Hub, 'db'>, repoId: string) {
  return hub.db
    .selectFrom('gated_requests as g')
    .innerJoin('users as u', 'u.id', 'g.user_id')
    .select(['g.status', 'g.fields', 'g.created_at', 'g.updated_at', 'g.rejection_reason', 'u.name', 'u.fullname', 'u.email'])
    .where('g.repo_id', '=', repoId);
}

type JoinedRow = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

function toRequest(r: JoinedRow): AccessRequest {
  return {
    user: { name: r.name, fullname: r.fullname, email: r.email },
    status: r.status,
    fields: JSON.parse(r.fields) as Record<string, unknown> | null,
    requestedAt: r.created_at,
    updatedAt: r.updated_at,
    rejectionReason: r.status === 'rejected' ? r.rejection_reason : null,
  };
}

async function requestOf(hub: Pick<Hub, 'db'>, repoId: string, userId: string): Promise<AccessRequest | undefined> {
  const r = await baseQuery(hub, repoId).where('g.user_id', '=', userId).executeTakeFirst();
  return r ? toRequest(r) : undefined;
}

/**
 * The caller asks for access, answering the form of the card's
 * `extra_gated_fields`. The request is always the caller's own.
 */
export async function requestAccess(hub: Hub, source: AuditSource, ref: RepoRef, answers: unknown): Promise<AccessRequest> {
  const { actor } = source;
  const row = await getRepo(hub, actor, ref, 'read');
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated to request access');
  if (!row.gated) throw notGated(row);
  if (bypassesGate(actor, accessInfo(row))) throw new HubError('Conflict', `You already have access to ${repoFullName(row)} through ${row.namespace}`);
  const existing = await requestOf(hub, row.id, actor.user.id);
  if (existing) throw alreadyRequested(row, existing.status);
  const card = row.card_data ? (JSON.parse(row.card_data) as Record<string, unknown>) : undefined;
  const fields = validateGateAnswers(gateFields(card), answers);
  const status: GateStatus = row.gated === 'auto' ? 'accepted' : 'pending';
  const now = nowIso();
  try {
    await hub.db
      .insertInto('gated_requests')
      .values({ repo_id: row.id, user_id: actor.user.id, status, fields: JSON.stringify(fields), created_at: now, updated_at: now, decided_by: null, rejection_reason: null })
      .execute();
  } catch (err) {
    if (/unique|duplicate/i.test(String(err))) throw alreadyRequested(row, 'pending');
    throw err;
  }
  await recordAudit(hub, source, { action: 'gated.request', namespace: row.namespace, target: target(row), details: { user: actor.user.name, status } });
  return (await requestOf(hub, row.id, actor.user.id))!;
}

function alreadyRequested(row: RepoRow, status: GateStatus): HubError {
  const what = status === 'rejected' ? 'was rejected; ask the owners of the repo' : status === 'accepted' ? 'was already accepted' : 'is pending';
  return new HubError('Conflict', `Your request for access to ${repoFullName(row)} ${what}`);
}

/** The caller's own request, if any (NotFound otherwise). */
export async function ownAccessRequest(hub: Hub, actor: Actor, ref: RepoRef): Promise<AccessRequest> {
  const row = await getRepo(hub, actor, ref, 'read');
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated to see your access request');
  const req = await requestOf(hub, row.id, actor.user.id);
  if (!req) throw new HubError('NotFound', `You have not requested access to ${repoFullName(row)}`);
  return req;
}

/** One page of a repo's requests with a status, oldest first. The caller authorises. */
export async function listAccessRequests(hub: Pick<Hub, 'db'>, row: RepoRow, status: GateStatus, offset: number, limit: number): Promise<{ requests: AccessRequest[]; hasMore: boolean }> {
  const rows = await baseQuery(hub, row.id)
    .where('g.status', '=', status)
    .orderBy('g.created_at')
    .orderBy('g.user_id')
    .offset(offset)
    .limit(limit + 1)
    .execute();
  return { requests: rows.slice(0, limit).map(toRequest), hasMore: rows.length > limit };
}

async function userNamed(hub: Pick<Hub, 'db'>, name: unknown): Promise<{ id: string; name: string }> {
  if (typeof name !== 'string' || name === '') throw new HubError('BadRequest', '"user" must be a user name');
  const u = await hub.db.selectFrom('users').select(['id', 'name']).where(sql`lower(name)`, '=', name.toLowerCase()).executeTakeFirst();
  if (!u) throw new HubError('NotFound', `User ${name} does not exist`);
  return u;
}

const ACTION_FOR: Record<GateStatus, string> = { accepted: 'gated.accept', rejected: 'gated.reject', pending: 'gated.cancel' };

/** Who decided, for the row and the log: a user over HTTP, nobody (the operator) from the CLI. */
function decider(source: AuditSource): { decidedBy: string | null; details: Record<string, unknown> } {
  return source.actor.kind === 'user' ? { decidedBy: source.actor.user.id, details: {} } : { decidedBy: null, details: { via: 'cli' } };
}

/**
 * Moves an existing request to `status`: accept, reject (with an optional
 * reason the requester sees) or cancel (back to pending, which removes
 * access). The caller authorises.
 */
export async function decideAccessRequest(hub: Pick<Hub, 'db'>, source: AuditSource, row: RepoRow, userName: unknown, status: unknown, reason?: unknown): Promise<AccessRequest> {
  if (!row.gated) throw notGated(row);
  if (typeof status !== 'string' || !(GATE_STATUSES as readonly string[]).includes(status)) {
    throw new HubError('BadRequest', '"status" must be "accepted", "rejected" or "pending"');
  }
  const next = status as GateStatus;
  if (reason !== undefined && reason !== null) {
    if (next !== 'rejected') throw new HubError('BadRequest', '"rejectionReason" only goes with "status": "rejected"');
    if (typeof reason !== 'string' || reason.length > MAX_REASON) throw new HubError('BadRequest', `"rejectionReason" must be a string of at most ${MAX_REASON} characters`);
  }
  const user = await userNamed(hub, userName);
  const current = await requestOf(hub, row.id, user.id);
  if (!current) throw new HubError('NotFound', `${user.name} has not requested access to ${repoFullName(row)}`);
  if (current.status === next) throw new HubError('Conflict', `The request of ${user.name} is already ${next}`);
  const { decidedBy, details } = decider(source);
  const rejectionReason = next === 'rejected' && typeof reason === 'string' && reason ? reason : null;
  await hub.db
    .updateTable('gated_requests')
    .set({ status: next, updated_at: nowIso(), decided_by: decidedBy, rejection_reason: rejectionReason })
    .where('repo_id', '=', row.id)
    .where('user_id', '=', user.id)
    .execute();
  await recordAudit(hub, source, {
    action: ACTION_FOR[next],
    namespace: row.namespace,
    target: target(row),
    details: { user: user.name, from: current.status, ...(rejectionReason ? { reason: rejectionReason } : {}), ...details },
  });
  return (await requestOf(hub, row.id, user.id))!;
}

/** Gives a user access without a request of theirs (Conflict if they have it already). The caller authorises. */
export async function grantAccess(hub: Pick<Hub, 'db'>, source: AuditSource, row: RepoRow, userName: unknown): Promise<AccessRequest> {
  if (!row.gated) throw notGated(row);
  const user = await userNamed(hub, userName);
  const current = await requestOf(hub, row.id, user.id);
  if (current?.status === 'accepted') throw new HubError('Conflict', `${user.name} already has access to ${repoFullName(row)}`);
  const { decidedBy, details } = decider(source);
  const now = nowIso();
  await hub.db
    .insertInto('gated_requests')
    .values({ repo_id: row.id, user_id: user.id, status: 'accepted', fields: 'null', created_at: now, updated_at: now, decided_by: decidedBy, rejection_reason: null })
    .onConflict((oc) => oc.columns(['repo_id', 'user_id']).doUpdateSet({ status: 'accepted', updated_at: now, decided_by: decidedBy, rejection_reason: null }))
    .execute();
  await recordAudit(hub, source, {
    action: 'gated.grant',
    namespace: row.namespace,
    target: target(row),
    details: { user: user.name, ...(current ? { from: current.status } : {}), ...details },
  });
  return (await requestOf(hub, row.id, user.id))!;
}

/** When a repo switches to `auto`, its pending requests are accepted (each one logged). Returns how many. */
export async function acceptPendingRequests(hub: Hub, source: AuditSource, row: RepoRow): Promise<number> {
  const pending = await baseQuery(hub, row.id).select('g.user_id').where('g.status', '=', 'pending').execute();
  const { decidedBy, details } = decider(source);
  for (const p of pending) {
    const done = await hub.db
      .updateTable('gated_requests')
      .set({ status: 'accepted', updated_at: nowIso(), decided_by: decidedBy })
      .where('repo_id', '=', row.id)
      .where('user_id', '=', p.user_id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) continue;
    await recordAudit(hub, source, { action: 'gated.accept', namespace: row.namespace, target: target(row), details: { user: p.name, from: 'pending', auto: true, ...details } });
  }
  return pending.length;
}
