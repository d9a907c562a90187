import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { canAdminNamespace, isSiteAdmin } from '../auth/policy.js';
import { findUserByName } from '../auth/users.js';
import { HubError } from '../core/errors.js';
import { parseRepoId, REPO_TYPES, type RepoType, typePlural, typePrefix } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import type { WatchKind, WebhookDomain, WebhooksTable } from '../db/schema-webhooks.js';
import type { HubEvent } from './events.js';
import type { Hub } from './hub.js';
import { findOrg, namespaceTaken } from './orgs.js';
import { getRepo } from './repos.js';
import type { JobQueue, TaskList } from '../jobs/job-queue.js';
import { log } from '../core/log.js';
import { type DeliveryOptions, type DeliveryRow, deliveryTasks, loadOwner, ownerMayRead, queuePair, queuePendingPairs, scheduleSweep } from './webhook-delivery.js';
import { parseTargetUrl, vetTargetOnSave } from './webhook-targets.js';

/**
 * Webhooks: who may watch what, the payload of an event, and the listener
 * that turns every repo event into one durable delivery row per matching
 * webhook before the request that caused it answers. Sending is done by jobs
 * on the hub's job queue (webhook-delivery.ts).
 *
 * A webhook belongs to the user who created it; only they see it (with its
 * secret). It may watch repos the user can read, the user's own namespace,
 * and the namespaces of orgs the user administers.
 */

export const DOMAINS: readonly WebhookDomain[] = ['repo', 'discussion'];
const WATCH_KINDS: readonly WatchKind[] = ['model', 'dataset', 'space', 'user', 'org'];
const MAX_WATCHED = 50;
const MAX_WEBHOOKS_PER_USER = 100;
const MAX_SECRET = 256;

export interface WebhookOptions extends DeliveryOptions {
  /** The hub's public URL, for the links in payloads (read when an event happens). */
  baseUrl: () => string;
}

export interface Watched {
  type: WatchKind;
  name: string;
}

export interface WebhookInfo {
  id: string;
  url: string;
  watched: Watched[];
  domains: WebhookDomain[];
  secret: string | null;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookInput {
  url?: unknown;
  watched?: unknown;
  domains?: unknown;
  secret?: unknown;
}

type WebhookRow = Selectable<WebhooksTable>;
type User = Extract<Actor, { kind: 'user' }>;

/** What the HTTP routes need from the running webhooks of a hub. */
interface Runtime {
  options: WebhookOptions;
  queue: JobQueue | undefined;
}

const runtimes = new WeakMap<Hub, Runtime>();

function runtimeOf(hub: Hub): Runtime {
  return (
    runtimes.get(hub) ?? {
      options: { allowPrivateTargets: false, retryBaseMs: 5000, maxAttempts: 8, timeoutMs: 10_000, baseUrl: () => '' },
      queue: undefined,
    }
  );
}

/**
 * Listens to the hub's events and queues deliveries on `queue`; adds the
 * recurring sweep, which at start-up finds the rows that wait. Returns the
 * delivery jobs' handlers, for the queue's start, and `stop`, which stops
 * listening (the queue's own stop ends the jobs).
 */
export async function startWebhooks(hub: Hub, queue: JobQueue, options: WebhookOptions): Promise<{ tasks: TaskList; stop(): void }> {
  runtimes.set(hub, { options, queue });
  const off = hub.events.on((event) => enqueueEvent(hub, event));
  await scheduleSweep(queue);
  return {
    tasks: deliveryTasks(hub, queue, options),
    stop() {
      off();
      runtimes.delete(hub);
    },
  };
}

/**
 * Queues the job of a (webhook, repo) that has new rows. The rows are the
 * record and are already stored: if the queue cannot be reached now, the
 * sweep queues the job later, so the request need not fail.
 */
async function wake(hub: Hub, webhookId: string, repoId: string): Promise<void> {
  const queue = runtimeOf(hub).queue;
  if (!queue) return;
  try {
    await queuePair(queue, webhookId, repoId, new Date(), 'preserve_run_at');
  } catch (err) {
    log.warn('webhooks: queueing a delivery job failed; the sweep will', { webhook: webhookId, error: err instanceof Error ? err.message : String(err) });
  }
}

// ---------------------------------------------------------------- management

/** Managing webhooks needs a signed-in session or a write token (a webhook reveals events and holds a secret). */
function manager(actor: Actor): User {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated to manage webhooks');
  if (actor.token && actor.token.role !== 'write') throw new HubError('Forbidden', 'Managing webhooks needs a write token or a signed-in session');
  return actor;
}

function newId(): string {
  return randomBytes(12).toString('hex');
}

function parseDomains(value: unknown): WebhookDomain[] {
  if (value === undefined || value === null) return [...DOMAINS];
  if (!Array.isArray(value) || value.length === 0) throw new HubError('BadRequest', `"domains" must be a non-empty list among ${DOMAINS.map((d) => `"${d}"`).join(', ')}`);
  for (const d of value) {
    if (typeof d !== 'string' || !(DOMAINS as readonly string[]).includes(d)) {
      throw new HubError('BadRequest', `Unknown domain ${JSON.stringify(d)}: use ${DOMAINS.map((x) => `"${x}"`).join(' or ')}`);
    }
  }
  return DOMAINS.filter((d) => value.includes(d));
}

function parseSecret(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > MAX_SECRET) throw new HubError('BadRequest', `"secret" must be a string of at most ${MAX_SECRET} characters`);
  return value;
}

interface ResolvedWatch {
  kind: WatchKind;
  name: string;
  repoId: string | null;
}

/** Checks each watched item against what the actor may watch (see docs/webhooks.md). */
async function resolveWatched(hub: Hub, actor: User, value: unknown): Promise<ResolvedWatch[]> {
  if (!Array.isArray(value) || value.length === 0) throw new HubError('BadRequest', '"watched" must be a non-empty list of {"type", "name"}');
  if (value.length > MAX_WATCHED) throw new HubError('BadRequest', `"watched" lists more than ${MAX_WATCHED} items`);
  const out: ResolvedWatch[] = [];
  for (const [i, item] of value.entries()) {
    if (typeof item !== 'object' || item === null) throw new HubError('BadRequest', `watched[${i}] must be {"type", "name"}`);
    const { type, name } = item as Record<string, unknown>;
    if (typeof type !== 'string' || !(WATCH_KINDS as readonly string[]).includes(type)) {
      throw new HubError('BadRequest', `watched[${i}].type must be one of ${WATCH_KINDS.join(', ')}`);
    }
    if (typeof name !== 'string' || name === '') throw new HubError('BadRequest', `watched[${i}].name is required`);
    if ((REPO_TYPES as readonly string[]).includes(type)) {
      // A repo the actor cannot read answers exactly like a missing one.
      const row = await getRepo(hub, actor, parseRepoId(type as RepoType, name), 'read');
      out.push({ kind: type as WatchKind, name: `${row.namespace}/${row.name}`, repoId: row.id });
    } else if (type === 'user') {
      const user = await findUserByName(hub.db, name);
      const self = name.toLowerCase() === actor.user.name.toLowerCase();
      if (!self && !isSiteAdmin(actor)) throw new HubError('Forbidden', `You can watch your own namespace only, not ${name}'s; watch their repos one by one instead`);
      if (!user) throw new HubError('NotFound', `There is no user named ${name}`);
      out.push({ kind: 'user', name: user.name, repoId: null });
    } else {
      const org = await findOrg(hub.db, name);
      if (!org) throw new HubError('NotFound', `There is no organization named ${name}`);
      if (!canAdminNamespace(actor, org.name)) throw new HubError('Forbidden', `Only admins of ${org.name} can watch all of its repos; watch the repos you can read one by one instead`);
      out.push({ kind: 'org', name: org.name, repoId: null });
    }
  }
  const seen = new Set<string>();
  return out.filter((w) => {
    const key = `${w.kind}:${w.name.toLowerCase()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function checkUrl(hub: Hub, value: unknown): Promise<string> {
  const url = parseTargetUrl(value);
  await vetTargetOnSave(url, runtimeOf(hub).options.allowPrivateTargets);
  return url.toString();
}

async function present(hub: Hub, rows: WebhookRow[]): Promise<WebhookInfo[]> {
  if (rows.length === 0) return [];
  const watches = await hub.db
    .selectFrom('webhook_watches')
    .leftJoin('repos', 'repos.id', 'webhook_watches.repo_id')
    .select(['webhook_watches.webhook_id', 'webhook_watches.position', 'webhook_watches.kind', 'webhook_watches.name', 'repos.namespace', 'repos.name as repo_name'])
    .where('webhook_watches.webhook_id', 'in', rows.map((r) => r.id))
    .orderBy('webhook_watches.position')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    url: r.url,
    // A watched repo that was renamed shows its current name.
    watched: watches
      .filter((w) => w.webhook_id === r.id)
      .map((w) => ({ type: w.kind, name: w.namespace && w.repo_name ? `${w.namespace}/${w.repo_name}` : w.name })),
    domains: JSON.parse(r.domains) as WebhookDomain[],
    secret: r.secret,
    disabled: r.disabled === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

async function ownRow(hub: Hub, actor: User, id: string): Promise<WebhookRow> {
  const row = await hub.db.selectFrom('webhooks').selectAll().where('id', '=', id).where('user_id', '=', actor.user.id).executeTakeFirst();
  // Someone else's webhook looks exactly like a missing one.
  if (!row) throw new HubError('NotFound', `Webhook ${id} not found`);
  return row;
}

async function writeWatches(trx: Hub['db'], webhookId: string, watched: ResolvedWatch[]): Promise<void> {
  await trx.deleteFrom('webhook_watches').where('webhook_id', '=', webhookId).execute();
  await trx
    .insertInto('webhook_watches')
    .values(watched.map((w, position) => ({ webhook_id: webhookId, position, kind: w.kind, name: w.name, name_lc: w.name.toLowerCase(), repo_id: w.repoId })))
    .execute();
}

export async function listWebhooks(hub: Hub, actorIn: Actor): Promise<WebhookInfo[]> {
  const actor = manager(actorIn);
  const rows = await hub.db.selectFrom('webhooks').selectAll().where('user_id', '=', actor.user.id).orderBy('created_at', 'desc').orderBy('id').execute();
  return present(hub, rows);
}

export async function getWebhook(hub: Hub, actorIn: Actor, id: string): Promise<WebhookInfo> {
  const actor = manager(actorIn);
  return (await present(hub, [await ownRow(hub, actor, id)]))[0]!;
}

export async function createWebhook(hub: Hub, actorIn: Actor, input: WebhookInput): Promise<WebhookInfo> {
  const actor = manager(actorIn);
  const watched = await resolveWatched(hub, actor, input.watched);
  const domains = parseDomains(input.domains);
  const secret = parseSecret(input.secret);
  const url = await checkUrl(hub, input.url);
  const count = await hub.db.selectFrom('webhooks').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', actor.user.id).executeTakeFirst();
  if (Number(count?.n ?? 0) >= MAX_WEBHOOKS_PER_USER) throw new HubError('BadRequest', `You already have ${MAX_WEBHOOKS_PER_USER} webhooks; delete one first`);
  const now = nowIso();
  const id = newId();
  await hub.db.transaction().execute(async (trx) => {
    await trx.insertInto('webhooks').values({ id, user_id: actor.user.id, url, domains: JSON.stringify(domains), secret, disabled: 0, created_at: now, updated_at: now }).execute();
    await writeWatches(trx, id, watched);
  });
  return getWebhook(hub, actor, id);
}

/**
 * Changes what is given: `url`, `watched`, `domains`, `secret` (null or
 * absent keeps it, "" removes it). Pending deliveries go to the new URL with
 * the new secret.
 */
export async function updateWebhook(hub: Hub, actorIn: Actor, id: string, input: WebhookInput): Promise<WebhookInfo> {
  const actor = manager(actorIn);
  const row = await ownRow(hub, actor, id);
  const patch: Partial<WebhookRow> = { updated_at: nowIso() };
  const watched = input.watched === undefined || input.watched === null ? undefined : await resolveWatched(hub, actor, input.watched);
  if (input.domains !== undefined && input.domains !== null) patch.domains = JSON.stringify(parseDomains(input.domains));
  if (input.secret !== undefined && input.secret !== null) patch.secret = parseSecret(input.secret);
  if (input.url !== undefined && input.url !== null) patch.url = await checkUrl(hub, input.url);
  await hub.db.transaction().execute(async (trx) => {
    await trx.updateTable('webhooks').set(patch).where('id', '=', row.id).execute();
    if (watched) await writeWatches(trx, row.id, watched);
  });
  return getWebhook(hub, actor, id);
}

/** A disabled webhook queues nothing new; its pending deliveries wait, in order, until it is enabled. */
export async function setWebhookDisabled(hub: Hub, actorIn: Actor, id: string, disabled: boolean): Promise<WebhookInfo> {
  const actor = manager(actorIn);
  const row = await ownRow(hub, actor, id);
  await hub.db.updateTable('webhooks').set({ disabled: disabled ? 1 : 0, updated_at: nowIso() }).where('id', '=', row.id).execute();
  const queue = runtimeOf(hub).queue;
  if (!disabled && queue) await queuePendingPairs(hub.db, queue, row.id);
  return getWebhook(hub, actor, id);
}

export async function deleteWebhook(hub: Hub, actorIn: Actor, id: string): Promise<void> {
  const actor = manager(actorIn);
  const row = await ownRow(hub, actor, id);
  // Children first: PostgreSQL and SQLite both cascade, but an explicit order keeps it cheap and obvious.
  await hub.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('webhook_attempts').where('delivery_id', 'in', trx.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', row.id)).execute();
    await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', row.id).execute();
    await trx.deleteFrom('webhook_watches').where('webhook_id', '=', row.id).execute();
    await trx.deleteFrom('webhooks').where('id', '=', row.id).execute();
  });
}

// ---------------------------------------------------------------- delivery log

export interface DeliveryAttempt {
  attempt: number;
  startedAt: string;
  durationMs: number;
  responseStatus: number | null;
  error: string | null;
  retryDelayMs: number | null;
}

export interface DeliveryInfo {
  id: string;
  event: string;
  repo: { type: string; name: string };
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  responseStatus: number | null;
  responseTimeMs: number | null;
  responseBody: string | null;
  error: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  finishedAt: string | null;
  redeliveryOf: string | null;
}

function presentDelivery(d: DeliveryRow): DeliveryInfo {
  return {
    id: d.id,
    event: d.event,
    repo: { type: d.repo_type, name: d.repo_name },
    status: d.status,
    attempts: d.attempts,
    responseStatus: d.response_status,
    responseTimeMs: d.duration_ms,
    responseBody: d.response_body,
    error: d.error,
    createdAt: d.created_at,
    lastAttemptAt: d.last_attempt_at,
    nextAttemptAt: d.status === 'pending' ? d.next_attempt_at : null,
    finishedAt: d.finished_at,
    redeliveryOf: d.redelivery_of,
  };
}

/** A webhook's deliveries, newest first; `limit + 1` rows are read to know whether more follow. */
export async function listDeliveries(hub: Hub, actorIn: Actor, id: string, offset: number, limit: number): Promise<{ deliveries: DeliveryInfo[]; hasMore: boolean }> {
  const actor = manager(actorIn);
  const row = await ownRow(hub, actor, id);
  const rows = await hub.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('webhook_id', '=', row.id)
    .orderBy('seq', 'desc')
    .orderBy('id', 'desc')
    .offset(offset)
    .limit(limit + 1)
    .execute();
  return { deliveries: rows.slice(0, limit).map(presentDelivery), hasMore: rows.length > limit };
}

/** One delivery with the payload it sends and each attempt. */
export async function getDelivery(hub: Hub, actorIn: Actor, id: string, deliveryId: string): Promise<DeliveryInfo & { payload: unknown; attemptLog: DeliveryAttempt[] }> {
  const actor = manager(actorIn);
  const webhook = await ownRow(hub, actor, id);
  const d = await hub.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId).where('webhook_id', '=', webhook.id).executeTakeFirst();
  if (!d) throw new HubError('NotFound', `Delivery ${deliveryId} not found`);
  const attempts = await hub.db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', d.id).orderBy('attempt').execute();
  return {
    ...presentDelivery(d),
    payload: JSON.parse(d.payload) as unknown,
    attemptLog: attempts.map((a) => ({
      attempt: a.attempt, startedAt: a.started_at, durationMs: a.duration_ms, responseStatus: a.response_status, error: a.error, retryDelayMs: a.retry_delay_ms,
    })),
  };
}

/** Queues the same payload again as a new delivery (its own id, behind any pending one of its repo). */
export async function redeliver(hub: Hub, actorIn: Actor, id: string, deliveryId: string): Promise<DeliveryInfo> {
  const actor = manager(actorIn);
  const webhook = await ownRow(hub, actor, id);
  const d = await hub.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId).where('webhook_id', '=', webhook.id).executeTakeFirst();
  if (!d) throw new HubError('NotFound', `Delivery ${deliveryId} not found`);
  const now = nowIso();
  const copy: DeliveryRow = {
    ...d,
    id: newId(),
    seq: nextSeq(),
    ...freshDelivery(now),
    redelivery_of: d.id,
  };
  await hub.db.insertInto('webhook_deliveries').values(copy).execute();
  await wake(hub, webhook.id, copy.repo_id);
  return presentDelivery(copy);
}

// ---------------------------------------------------------------- events → deliveries

let lastSeq = 0;

/** Milliseconds × 1000 plus a counter: increasing within a process, and across restarts while the clock moves on. */
function nextSeq(): number {
  lastSeq = Math.max(Date.now() * 1000, lastSeq + 1);
  return lastSeq;
}

function domainOf(event: HubEvent): WebhookDomain {
  return event.scope === 'discussion' || event.scope === 'discussion.comment' ? 'discussion' : 'repo';
}

/** The JSON body sent for an event, shaped like the Hugging Face Hub's webhook payloads. */
export function buildPayload(event: HubEvent, webhookId: string, baseUrl: string, ownerType: 'user' | 'org' | undefined): Record<string, unknown> {
  const r = event.repo;
  const fullName = `${r.namespace}/${r.name}`;
  const web = `${baseUrl}/${typePrefix(r.type)}${fullName}`;
  const payload: Record<string, unknown> = {
    event: { action: event.action, scope: event.scope },
    repo: {
      type: r.type,
      name: fullName,
      id: event.repoId,
      private: r.private,
      url: { web, api: `${baseUrl}/api/${typePlural(r.type)}/${fullName}` },
      headSha: r.headSha,
      owner: { name: r.namespace, ...(ownerType ? { type: ownerType } : {}) },
    },
  };
  if (event.oldName) payload.movedFrom = { name: event.oldName };
  if (event.updatedRefs) payload.updatedRefs = event.updatedRefs;
  if (event.updatedConfig) payload.updatedConfig = event.updatedConfig;
  if (event.discussion) {
    const d = event.discussion;
    payload.discussion = {
      num: d.num,
      title: d.title,
      isPullRequest: d.isPullRequest,
      status: d.status,
      author: { name: d.author },
      url: { web: `${web}/discussions/${d.num}`, api: `${baseUrl}/api/${typePlural(r.type)}/${fullName}/discussions/${d.num}` },
    };
  }
  if (event.comment) {
    const c = event.comment;
    payload.comment = {
      id: c.id,
      author: { name: c.author },
      hidden: c.hidden,
      // A hidden comment's text is not sent on.
      content: c.hidden ? '' : c.content,
      ...(event.discussion ? { url: { web: `${web}/discussions/${event.discussion.num}#${c.id}` } } : {}),
    };
  }
  if (event.actor) payload.actor = { name: event.actor };
  payload.webhook = { id: webhookId, version: 3 };
  return payload;
}

/**
 * The event listener: one pending delivery per enabled webhook that watches
 * the repo (by id) or its namespace (for a move, the old one too), listens to
 * the event's domain, and whose owner may read the repo now.
 */
export async function enqueueEvent(hub: Hub, event: HubEvent): Promise<void> {
  const domain = domainOf(event);
  const namespaces = [event.repo.namespace.toLowerCase()];
  if (event.oldName) namespaces.push(event.oldName.split('/')[0]!.toLowerCase());
  const rows = await hub.db
    .selectFrom('webhooks')
    .innerJoin('webhook_watches', 'webhook_watches.webhook_id', 'webhooks.id')
    .selectAll('webhooks')
    .where('webhooks.disabled', '=', 0)
    .where((eb) =>
      eb.or([
        eb('webhook_watches.repo_id', '=', event.repoId),
        eb.and([eb('webhook_watches.kind', 'in', ['user', 'org']), eb('webhook_watches.name_lc', 'in', namespaces)]),
      ]),
    )
    .execute();
  const unique = [...new Map(rows.map((r) => [r.id, r])).values()].filter((w) => (JSON.parse(w.domains) as string[]).includes(domain));
  if (unique.length === 0) return;
  const ownerType = await namespaceTaken(hub.db, event.repo.namespace);
  const baseUrl = runtimeOf(hub).options.baseUrl().replace(/\/+$/, '');
  const now = nowIso();
  const values: DeliveryRow[] = [];
  for (const w of unique.sort((a, b) => a.id.localeCompare(b.id))) {
    const owner = await loadOwner(hub.db, w.user_id);
    if (!owner || !(await ownerMayRead(hub.db, owner, { id: event.repoId, ...event.repo }))) continue;
    const id = newId();
    values.push({
      id,
      webhook_id: w.id,
      seq: nextSeq(),
      repo_id: event.repoId,
      repo_type: event.repo.type,
      repo_name: `${event.repo.namespace}/${event.repo.name}`,
      repo_private: event.repo.private ? 1 : 0,
      event: `${event.scope}.${event.action}`,
      payload: JSON.stringify(buildPayload(event, w.id, baseUrl, ownerType)),
      ...freshDelivery(now),
      redelivery_of: null,
    });
  }
  if (values.length === 0) return;
  await hub.db.insertInto('webhook_deliveries').values(values).execute();
  for (const v of values) await wake(hub, v.webhook_id, v.repo_id);
}


/** The state of a delivery that has not been tried yet (a new one, or a redelivery). */
function freshDelivery(now: string): Pick<DeliveryRow, 'status' | 'attempts' | 'next_attempt_at' | 'locked_until' | 'claim_token' | 'response_status' | 'response_body' | 'duration_ms' | 'error' | 'created_at' | 'last_attempt_at' | 'finished_at'> {
  return {
    status: 'pending', attempts: 0, next_attempt_at: now, locked_until: null, claim_token: null, response_status: null,
    response_body: null, duration_ms: null, error: null, created_at: now, last_attempt_at: null, finished_at: null,
  };
}
