import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Actor } from '../auth/actor.js';
import type { AuditLogTable } from '../db/schema.js';
import { canAdminNamespace } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import type { Hub } from './hub.js';

/** Who did something, and from where: the HTTP edge fills it from the request. */
export interface AuditSource {
  actor: Actor;
  ip: string | undefined;
}

export interface AuditEvent {
  /** dotted verb: `repo.create`, `repo.visibility`, `org.member.add`, `token.revoke`, `gated.accept`, … */
  action: string;
  /** the user or org the event belongs to, so that its admins can read it */
  namespace: string | null;
  /** what was acted on: a repo id `type:ns/name`, a user, a token id … */
  target: string | null;
  details?: Record<string, unknown>;
}

/** Appends one event to the audit log (the CLI, which has no Hub, passes `{ db }`). */
export async function recordAudit(hub: Pick<Hub, 'db'>, source: AuditSource, event: AuditEvent): Promise<void> {
  await hub.db
    .insertInto('audit_log')
    .values({
      id: randomUUID(),
      at: nowIso(),
      actor: source.actor.kind === 'user' ? source.actor.user.name : null,
      ip: source.ip ?? null,
      action: event.action,
      namespace: event.namespace,
      target: event.target,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}

/** An audit row with its details parsed. */
export type AuditEntry = Omit<Selectable<AuditLogTable>, 'details'> & { details: Record<string, unknown> };

/**
 * Reads the log, newest first: site admins read everything, an org's (or a
 * user's own) admins read that namespace.
 */
export async function listAudit(hub: Hub, actor: Actor, opts: { namespace?: string | undefined; offset: number; limit: number }): Promise<{ entries: AuditEntry[]; hasMore: boolean }> {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated to read the audit log');
  const siteAdmin = actor.user.isAdmin && (actor.token === undefined || actor.token.role === 'write');
  if (!opts.namespace && !siteAdmin) throw new HubError('Forbidden', 'Only site admins can read the whole audit log; ask for a namespace');
  if (opts.namespace && !canAdminNamespace(actor, opts.namespace)) {
    throw new HubError('Forbidden', `You are not an admin of ${opts.namespace}`);
  }
  let q = hub.db.selectFrom('audit_log').selectAll();
  if (opts.namespace) q = q.where('namespace', '=', opts.namespace);
  const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').offset(opts.offset).limit(opts.limit + 1).execute();
  return {
    entries: rows.slice(0, opts.limit).map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> })),
    hasMore: rows.length > opts.limit,
  };
}
