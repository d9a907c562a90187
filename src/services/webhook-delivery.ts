import { createHmac, randomUUID } from 'node:crypto';
import { log } from '../core/log.js';
import { type Selectable, sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { can } from '../auth/policy.js';
import { loadMemberships, rowToUser } from '../auth/tokens.js';
import type { RepoType } from '../core/repo-id.js';
import type { Db } from '../db/database.js';
import type { WebhookDeliveriesTable } from '../db/schema-webhooks.js';
import type { Hub } from './hub.js';
import { pinnedPost } from './pinned-request.js';
import { type CheckedTarget, checkTarget, parseTargetUrl } from './webhook-targets.js';

/**
 * The delivery side of webhooks: a worker that claims due rows of
 * `webhook_deliveries`, sends them, and records what happened.
 *
 * - Rows are the truth. A worker holds a row by writing a claim token and a
 *   lease (`locked_until`) with a conditional UPDATE that only succeeds on a
 *   pending row whose lease is free, so two workers (two hub processes on one
 *   database) never send the same row at once. A worker that dies mid-send
 *   leaves a lease that expires, and the row is sent again: delivery is at
 *   least once, and `X-Orchard-Delivery` lets a receiver drop a repeat.
 * - Order per repo: a row is not claimed while an older row of the same
 *   webhook and repo is still pending, so retries keep order.
 * - Failures wait `retryBaseMs · 2^(n-1)` with "equal jitter" (half fixed,
 *   half random), which keeps each wait at least as long as the one before.
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
  /** Longest sleep between two looks at the queue (new rows also wake the worker). */
  pollMs?: number;
  /** Deliveries in flight at once. */
  concurrency?: number;
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

/** The queue worker of one hub process. */
export class DeliveryWorker {
  private running = false;
  private wakeUp: (() => void) | undefined;
  private kicked = false;
  private readonly inflight = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private loopDone: Promise<void> | undefined;
  private lastError = '';

  constructor(
    private readonly hub: Hub,
    private readonly opts: DeliveryOptions,
  ) {}

  private get pollMs(): number {
    return this.opts.pollMs ?? 2000;
  }

  private get concurrency(): number {
    return this.opts.concurrency ?? 4;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** New rows (or a freed slot): look at the queue now. */
  kick(): void {
    this.kicked = true;
    this.wakeUp?.();
  }

  /** Stops claiming, aborts what is in flight (its claim is released, nothing counted) and waits for it. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUp?.();
    for (const c of this.controllers) c.abort();
    await this.loopDone;
    await Promise.all([...this.inflight]);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.kicked = false;
      let wait = this.pollMs;
      try {
        const free = this.concurrency - this.inflight.size;
        if (free > 0) {
          const claimed = await this.claim(free);
          for (const row of claimed) this.launch(row);
          if (claimed.length === free) continue;
        }
        wait = await this.untilNextDue();
        this.lastError = '';
      } catch (err) {
        // The database may be briefly unavailable; say so once, not every poll.
        const text = String(err);
        if (this.running && text !== this.lastError) log.error('webhook worker: reading the queue failed', err);
        this.lastError = text;
      }
      if (!this.running) break;
      if (this.kicked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wakeUp = undefined;
          resolve();
        }, Math.max(1, wait));
        // The worker alone never keeps the process alive (a CLI command, a hub that failed to start).
        timer.unref();
        this.wakeUp = () => {
          clearTimeout(timer);
          this.wakeUp = undefined;
          resolve();
        };
      });
    }
  }

  /**
   * Pending rows of enabled webhooks that no older pending row of the same
   * webhook and repo holds back: the only ones that may be sent next.
   */
  private heads() {
    return this.hub.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .where('d.status', '=', 'pending')
      .where('w.disabled', '=', 0)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_deliveries as o')
              .select('o.id')
              .whereRef('o.webhook_id', '=', 'd.webhook_id')
              .whereRef('o.repo_id', '=', 'd.repo_id')
              .where('o.status', '=', 'pending')
              .where((eb) => eb.or([eb('o.seq', '<', eb.ref('d.seq')), eb.and([eb('o.seq', '=', eb.ref('d.seq')), eb('o.id', '<', eb.ref('d.id'))])])),
          ),
        ),
      );
  }

  /** Milliseconds until the earliest head row is due (or its lease runs out), capped at the poll interval. */
  private async untilNextDue(): Promise<number> {
    const due = sql<string>`case when ${sql.ref('d.locked_until')} is not null and ${sql.ref('d.locked_until')} > ${sql.ref('d.next_attempt_at')} then ${sql.ref('d.locked_until')} else ${sql.ref('d.next_attempt_at')} end`;
    const next = await this.heads()
      .select((eb) => eb.fn.min(due).as('at'))
      .executeTakeFirst();
    const at = next?.at ? Date.parse(String(next.at)) : NaN;
    if (Number.isNaN(at)) return this.pollMs;
    return Math.min(this.pollMs, Math.max(1, at - Date.now()));
  }

  /** Claims up to `limit` due head rows, oldest first. */
  private async claim(limit: number): Promise<DeliveryRow[]> {
    const db = this.hub.db;
    const now = new Date().toISOString();
    const candidates = await this.heads()
      .select(['d.id'])
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.locked_until', 'is', null), eb('d.locked_until', '<=', now)]))
      .orderBy('d.seq')
      .limit(limit)
      .execute();
    const claimed: DeliveryRow[] = [];
    for (const c of candidates) {
      const token = randomUUID();
      const lease = new Date(Date.now() + this.opts.timeoutMs + 5000).toISOString();
      // The claim itself: succeeds for exactly one worker, on SQLite and PostgreSQL alike.
      const res = await db
        .updateTable('webhook_deliveries')
        .set({ locked_until: lease, claim_token: token })
        .where('id', '=', c.id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) continue;
      const row = await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', c.id).where('claim_token', '=', token).executeTakeFirst();
      if (row) claimed.push(row);
    }
    return claimed;
  }

  private launch(row: DeliveryRow): void {
    const p = this.attempt(row)
      .catch((err) => {
        if (this.running) log.error('webhook delivery failed to run', err, { delivery: row.id });
      })
      .finally(() => {
        this.inflight.delete(p);
        if (this.running) this.kick();
      });
    this.inflight.add(p);
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    const db = this.hub.db;
    const token = row.claim_token!;
    const release = async (): Promise<void> => {
      await db.updateTable('webhook_deliveries').set({ locked_until: null, claim_token: null }).where('id', '=', row.id).where('claim_token', '=', token).execute();
    };
    const webhook = await db.selectFrom('webhooks').selectAll().where('id', '=', row.webhook_id).executeTakeFirst();
    if (!webhook) return; // deleted: its deliveries went with it
    if (webhook.disabled === 1 || !this.running) {
      await release();
      return;
    }
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
      return;
    }

    const attemptNo = row.attempts + 1;
    const started = new Date();
    const controller = new AbortController();
    this.controllers.add(controller);
    let result: AttemptResult;
    // One time limit covers resolving the host, connecting, sending and reading the answer,
    // so that an attempt always ends within its lease.
    const deadline = Date.now() + this.opts.timeoutMs;
    try {
      const target = await withDeadline(checkTarget(parseTargetUrl(webhook.url), this.opts.allowPrivateTargets), deadline, `resolving the host timed out after ${this.opts.timeoutMs} ms`);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'User-Agent': 'Orchard-Webhooks/1',
        'X-Orchard-Event': row.event,
        'X-Orchard-Delivery': row.id,
        [TIMESTAMP_HEADER]: timestamp,
      };
      if (webhook.secret) headers[SIGNATURE_HEADER] = signPayload(webhook.secret, timestamp, row.payload);
      result = await post(target, headers, row.payload, Math.max(1, deadline - Date.now()), controller.signal);
    } catch (err) {
      result = { status: null, body: null, error: err instanceof Error ? err.message : String(err), durationMs: Date.now() - started.getTime() };
    } finally {
      this.controllers.delete(controller);
    }
    if (controller.signal.aborted && result.status === null) {
      // Shutting down cut the attempt short: it does not count; the next process sends it.
      // (An answer that did arrive is recorded below, so that it is not sent twice.)
      await release();
      return;
    }
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const last = attemptNo >= this.opts.maxAttempts;
    const delay = ok || last ? null : backoffDelay(this.opts.retryBaseMs, attemptNo);
    const finishedAt = new Date().toISOString();
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
          next_attempt_at: delay === null ? finishedAt : new Date(Date.now() + delay).toISOString(),
          finished_at: ok || last ? finishedAt : null,
        })
        .where('id', '=', row.id)
        .where('claim_token', '=', token)
        .executeTakeFirst();
      // A lost lease (this attempt outlived it and another worker took over) records nothing.
      if (Number(updated.numUpdatedRows) !== 1) return;
      await trx
        .insertInto('webhook_attempts')
        .values({
          delivery_id: row.id, attempt: attemptNo, started_at: started.toISOString(), duration_ms: result.durationMs,
          response_status: result.status, error: result.error, retry_delay_ms: delay,
        })
        .execute();
    });
  }
}
