import { createHmac, randomUUID } from 'node:crypto';
import { log } from '../core/log.js';
import type { Selectable } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { can } from '../auth/policy.js';
import { loadMemberships, rowToUser } from '../auth/tokens.js';
import type { RepoType } from '../core/repo-id.js';
import type { Db } from '../db/database.js';
import type { WebhookDeliveriesTable, WebhooksTable } from '../db/schema-webhooks.js';
import type { JobQueue, TaskList } from '../jobs/job-queue.js';
import type { Hub } from './hub.js';
import { pinnedPost } from './pinned-request.js';
import { type CheckedTarget, checkTarget, parseTargetUrl } from './webhook-targets.js';

/**
 * The delivery side of webhooks: `webhook.deliver` jobs on the hub's job
 * queue (src/jobs/) send the pending rows of `webhook_deliveries` and record
 * what happened.
 *
 * - Rows are the truth: status, attempts, the last answer and the attempt
 *   log live on the row and in `webhook_attempts`; a job only says "look at
 *   the pending rows of this webhook and repo".
 * - Order per (webhook, repo): there is one job per pair (its job key), in a
 *   serial queue of the same name, and it sends that pair's rows oldest
 *   first, one at a time; a row waiting for a retry holds back the rows
 *   behind it. On PostgreSQL the serial queue is graphile-worker's, so this
 *   holds across hub processes.
 * - Failures wait `retryBaseMs · 2^(n-1)` with "equal jitter" (half fixed,
 *   half random), which keeps each wait at least as long as the one before:
 *   the job adds itself again with that run-at (the queue's own retry formula
 *   is not used), and after `maxAttempts` the row is marked failed.
 * - Each send still claims its row (a token and a lease, by a conditional
 *   UPDATE), so that even if a job ran twice (a process thought dead that was
 *   not), one row is never sent twice at once; a send cut short by shutdown
 *   releases its claim and counts nothing.
 * - `webhook.sweep`, every minute and at start-up, queues a job for every
 *   pair with pending rows: on SQLite this rebuilds the in-process queue after
 *   a restart, and everywhere it covers a row whose job was never added (a
 *   crash between the two).
 */

export type DeliveryRow = Selectable<WebhookDeliveriesTable>;

export interface DeliveryOptions {
  /** Send to private, loopback and link-local addresses too (admin's choice). */
  allowPrivateTargets: boolean;
  /** First retry delay; each further one doubles. */
  retryBaseMs: number;
  /** Attempts before a delivery is marked failed. */
  maxAttempts: number;
  /** Per-attempt limit for connecting, sending and reading the answer. */
  timeoutMs: number;
}

/** Longest back-off, whatever the base. */
const MAX_DELAY_MS = 3_600_000;
/** Bytes of an answer kept in the log. */
const RESPONSE_SNIPPET = 1000;
/** Bytes of an answer read at all. */
const RESPONSE_READ_LIMIT = 64 * 1024;

export const SIGNATURE_HEADER = 'X-Orchard-Signature-256';
export const TIMESTAMP_HEADER = 'X-Orchard-Timestamp';

/**
 * `sha256=` and the hex HMAC-SHA256, keyed with the webhook's secret, of
 * `{timestamp}.{raw body}`: the timestamp is signed too, so a receiver can
 * refuse old replays.
 */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The wait after the `failures`-th failed attempt: in [d/2, d] for d = base·2^(failures-1), capped. */
export function backoffDelay(baseMs: number, failures: number, random: () => number = Math.random): number {
  const d = Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(d / 2 + random() * (d / 2));
}

/** The webhook's owner as an actor with a browser session's rights, or undefined when the account is gone or disabled. */
export async function loadOwner(db: Db, userId: string): Promise<Actor | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!row || row.disabled === 1) return undefined;
  return { kind: 'user', user: rowToUser(row), token: undefined, memberships: await loadMemberships(db, row.id) };
}

/**
 * May this owner hear about this repo now? Its current visibility decides
 * while it exists; a deleted repo is judged by what it was.
 */
export async function ownerMayRead(db: Db, owner: Actor, repo: { id: string; type: string; namespace: string; name: string; private: boolean }): Promise<boolean> {
  const row = await db.selectFrom('repos').select(['type', 'namespace', 'name', 'private']).where('id', '=', repo.id).executeTakeFirst();
  const info = row
    ? { type: row.type, namespace: row.namespace, name: row.name, private: row.private === 1 }
    : { type: repo.type as RepoType, namespace: repo.namespace, name: repo.name, private: repo.private };
  return can(owner, 'read', info);
}

interface AttemptResult {
  status: number | null;
  body: string | null;
  error: string | null;
  durationMs: number;
}

/** One POST to the checked address (pinned-request.ts), with a timeout over the whole exchange and a cap on what is read back. */
async function post(target: CheckedTarget, headers: Record<string, string>, body: string, timeoutMs: number, signal: AbortSignal): Promise<AttemptResult> {
  const r = await pinnedPost(target, { headers, body, timeoutMs, signal, maxBytes: RESPONSE_READ_LIMIT });
  if (r.status === null) return { status: null, body: null, error: signal.aborted ? 'aborted: the hub is shutting down' : r.error, durationMs: r.durationMs };
  const text = r.body.toString('utf8').slice(0, RESPONSE_SNIPPET);
  return { status: r.status, body: text, error: r.status >= 200 && r.status < 300 ? null : `HTTP ${r.status}`, durationMs: r.durationMs };
}

function withDeadline<T>(p: Promise<T>, deadline: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), Math.max(1, deadline - Date.now()));
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

export const DELIVER_TASK = 'webhook.deliver';
export const SWEEP_TASK = 'webhook.sweep';
/** How often the sweep looks for pending rows without a job. */
const SWEEP_MS = 60_000;
/** Rows one job sends before it makes way for other pairs (it queues itself again at once). */
const ROWS_PER_RUN = 50;

/** The serial queue, and job key, of one (webhook, repo). */
export function pairQueue(webhookId: string, repoId: string): string {
  return `${DELIVER_TASK}:${webhookId}:${repoId}`;
}

/**
 * Queues the job of one (webhook, repo). `preserve_run_at` (new rows, the
 * sweep) leaves a job that waits for a retry where it is; `replace` (the job
 * rescheduling itself) moves it.
 */
export async function queuePair(queue: JobQueue, webhookId: string, repoId: string, runAt: Date, mode: 'replace' | 'preserve_run_at'): Promise<void> {
  const key = pairQueue(webhookId, repoId);
  await queue.add(DELIVER_TASK, { webhookId, repoId }, { queueName: key, jobKey: key, jobKeyMode: mode, runAt });
}

/** Queues a job for every (webhook, repo) with pending rows of enabled webhooks (of one webhook, when given), due at its earliest row. */
export async function queuePendingPairs(db: Db, queue: JobQueue, webhookId?: string): Promise<number> {
  let q = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .where('d.status', '=', 'pending')
    .where('w.disabled', '=', 0)
    .select(['d.webhook_id', 'd.repo_id', (eb) => eb.fn.min('d.next_attempt_at').as('due')])
    .groupBy(['d.webhook_id', 'd.repo_id']);
  if (webhookId !== undefined) q = q.where('d.webhook_id', '=', webhookId);
  const pairs = await q.execute();
  for (const p of pairs) {
    const due = Date.parse(String(p.due));
    await queuePair(queue, p.webhook_id, p.repo_id, new Date(Number.isNaN(due) ? Date.now() : due), 'preserve_run_at');
  }
  return pairs.length;
}

/** Adds the recurring sweep (now, so that start-up finds what waits). */
export async function scheduleSweep(queue: JobQueue, runAt = new Date()): Promise<void> {
  await queue.add(SWEEP_TASK, {}, { jobKey: SWEEP_TASK, runAt });
}

/** The handlers of the delivery jobs. */
export function deliveryTasks(hub: Hub, queue: JobQueue, opts: DeliveryOptions): TaskList {
  return {
    [DELIVER_TASK]: async (payload, ctx) => {
      const { webhookId, repoId } = payload as { webhookId: string; repoId: string };
      await deliverPair(hub, queue, opts, webhookId, repoId, ctx.signal);
    },
    [SWEEP_TASK]: async (_payload, ctx) => {
      try {
        await queuePendingPairs(hub.db, queue);
      } catch (err) {
        // The database may be briefly away; the next sweep tries again.
        log.error('webhook sweep failed', err);
      } finally {
        if (!ctx.signal.aborted) await scheduleSweep(queue, new Date(Date.now() + SWEEP_MS));
      }
    },
  };
}

type WebhookRow = Selectable<WebhooksTable>;
type Outcome = { kind: 'done' } | { kind: 'retry'; at: Date } | { kind: 'released' };

/** The job of one (webhook, repo): sends its due rows oldest first, and queues itself again for the next retry. */
async function deliverPair(hub: Hub, queue: JobQueue, opts: DeliveryOptions, webhookId: string, repoId: string, signal: AbortSignal): Promise<void> {
  const db = hub.db;
  const again = (at: Date): Promise<void> => queuePair(queue, webhookId, repoId, at, 'replace');
  for (let sent = 0; sent < ROWS_PER_RUN; sent++) {
    // Shutting down: the next process (or this one, restarted) goes on.
    if (signal.aborted) return again(new Date());
    const webhook = await db.selectFrom('webhooks').selectAll().where('id', '=', webhookId).executeTakeFirst();
    // Deleted: its rows went with it. Disabled: its rows wait, and enabling it queues this job again.
    if (!webhook || webhook.disabled === 1) return;
    const head = await db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('webhook_id', '=', webhookId)
      .where('repo_id', '=', repoId)
      .where('status', '=', 'pending')
      .orderBy('seq')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!head) return;
    const dueAt = Math.max(Date.parse(head.next_attempt_at), head.locked_until ? Date.parse(head.locked_until) : 0);
    if (dueAt > Date.now()) return again(new Date(dueAt));
    const token = await claim(db, head.id, opts);
    // Held by a send elsewhere: look again when its lease ends.
    if (!token) continue;
    const outcome = await attempt(db, opts, { ...head, claim_token: token }, webhook, signal);
    if (outcome.kind === 'retry') return again(outcome.at);
    if (outcome.kind === 'released') return again(new Date());
  }
  await again(new Date());
}

/** Takes the row for one send: succeeds for exactly one caller while the row is pending and its lease is free. */
async function claim(db: Db, id: string, opts: DeliveryOptions): Promise<string | undefined> {
  const token = randomUUID();
  const now = new Date().toISOString();
  const lease = new Date(Date.now() + opts.timeoutMs + 5000).toISOString();
  const res = await db
    .updateTable('webhook_deliveries')
    .set({ locked_until: lease, claim_token: token })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1 ? token : undefined;
}

/** One attempt at a claimed row, recorded on the row and in the attempt log. */
async function attempt(db: Db, opts: DeliveryOptions, row: DeliveryRow, webhook: WebhookRow, signal: AbortSignal): Promise<Outcome> {
  const token = row.claim_token!;
  const release = async (): Promise<void> => {
    await db.updateTable('webhook_deliveries').set({ locked_until: null, claim_token: null }).where('id', '=', row.id).where('claim_token', '=', token).execute();
  };
  const now = new Date().toISOString();
  const [namespace, ...rest] = row.repo_name.split('/');
  const owner = await loadOwner(db, webhook.user_id);
  if (!owner || !(await ownerMayRead(db, owner, { id: row.repo_id, type: row.repo_type, namespace: namespace!, name: rest.join('/'), private: row.repo_private === 1 }))) {
    // Private events go only to owners who may read the repo when it is sent.
    await db
      .updateTable('webhook_deliveries')
      .set({
        status: 'failed', locked_until: null, claim_token: null, finished_at: now,
        error: 'Not sent: the webhook\'s owner cannot read this repository (any more)',
      })
      .where('id', '=', row.id)
      .where('claim_token', '=', token)
      .execute();
    return { kind: 'done' };
  }

  const attemptNo = row.attempts + 1;
  const started = new Date();
  let result: AttemptResult;
  // One time limit covers resolving the host, connecting, sending and reading the answer,
  // so that an attempt always ends within its lease.
  const deadline = Date.now() + opts.timeoutMs;
  try {
    const target = await withDeadline(checkTarget(parseTargetUrl(webhook.url), opts.allowPrivateTargets), deadline, `resolving the host timed out after ${opts.timeoutMs} ms`);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'Orchard-Webhooks/1',
      'X-Orchard-Event': row.event,
      'X-Orchard-Delivery': row.id,
      [TIMESTAMP_HEADER]: timestamp,
    };
    if (webhook.secret) headers[SIGNATURE_HEADER] = signPayload(webhook.secret, timestamp, row.payload);
    result = await post(target, headers, row.payload, Math.max(1, deadline - Date.now()), signal);
  } catch (err) {
    result = { status: null, body: null, error: err instanceof Error ? err.message : String(err), durationMs: Date.now() - started.getTime() };
  }
  if (signal.aborted && result.status === null) {
    // Shutting down cut the attempt short: it does not count; the next run sends it.
    // (An answer that did arrive is recorded below, so that it is not sent twice.)
    await release();
    return { kind: 'released' };
  }
  const ok = result.status !== null && result.status >= 200 && result.status < 300;
  const last = attemptNo >= opts.maxAttempts;
  const delay = ok || last ? null : backoffDelay(opts.retryBaseMs, attemptNo);
  const finishedAt = new Date().toISOString();
  const nextAt = delay === null ? undefined : new Date(Date.now() + delay);
  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('webhook_deliveries')
      .set({
        status: ok ? 'succeeded' : last ? 'failed' : 'pending',
        attempts: attemptNo,
        locked_until: null,
        claim_token: null,
        response_status: result.status,
        response_body: result.body,
        duration_ms: result.durationMs,
        error: result.error,
        last_attempt_at: started.toISOString(),
        next_attempt_at: nextAt ? nextAt.toISOString() : finishedAt,
        finished_at: ok || last ? finishedAt : null,
      })
      .where('id', '=', row.id)
      .where('claim_token', '=', token)
      .executeTakeFirst();
    // A lost lease (this attempt outlived it and another send took over) records nothing.
    if (Number(updated.numUpdatedRows) !== 1) return;
    await trx
      .insertInto('webhook_attempts')
      .values({
        delivery_id: row.id, attempt: attemptNo, started_at: started.toISOString(), duration_ms: result.durationMs,
        response_status: result.status, error: result.error, retry_delay_ms: delay,
      })
      .execute();
  });
  return nextAt ? { kind: 'retry', at: nextAt } : { kind: 'done' };
}
