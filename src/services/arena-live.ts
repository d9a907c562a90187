import type { Actor } from '../auth/actor.js';
import { canAdminNamespace } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import type { ArenaRow, Prompt } from './arena.js';
import type { Hub } from './hub.js';
import { pinnedPost } from './pinned-request.js';
import { checkTarget, parseTargetUrl } from './webhook-targets.js';

/**
 * Live arenas (docs/arena.md): answers come from OpenAI-compatible endpoints
 * (`POST {base}/v1/chat/completions`) that the arena's admins register per
 * model. The key is stored to be sent as a bearer token and never returned.
 * Every call checks the target first (`checkTarget`, the webhooks' SSRF
 * guard: no loopback, private, link-local … addresses unless allowed), then
 * connects to the very address it checked (`pinnedPost`, shared with webhook
 * deliveries: no second DNS lookup that could be rebound), and gives up after
 * `timeoutMs`. A failing endpoint is a 502 `BadGateway`: the hub is fine, the
 * upstream it called is not.
 */

export interface LiveOptions {
  allowPrivateTargets: boolean;
  timeoutMs: number;
}

export const LIVE_TIMEOUT_MS = 60_000;
const MAX_ANSWER_BYTES = 256 * 1024;
const options = new WeakMap<Hub, LiveOptions>();

/** Private targets are refused unless the composition root (or a test) says otherwise. */
export function setArenaLiveOptions(hub: Hub, opts: Partial<LiveOptions>): void {
  options.set(hub, { ...liveOptions(hub), ...opts });
}

function liveOptions(hub: Hub): LiveOptions {
  return options.get(hub) ?? { allowPrivateTargets: false, timeoutMs: LIVE_TIMEOUT_MS };
}

function requireAdmin(actor: Actor, arena: ArenaRow): void {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be signed in to manage arena endpoints');
  if (!canAdminNamespace(actor, arena.namespace)) throw new HubError('Forbidden', `Only admins of ${arena.namespace} manage the endpoints of its arenas`);
  if (arena.live !== 1) throw new HubError('BadRequest', 'This arena is not live: its answers come from its dataset');
}

export interface EndpointView {
  model: string;
  baseUrl: string;
  remoteModel: string;
  hasKey: boolean;
  createdAt: string;
}

export async function listEndpoints(hub: Hub, actor: Actor, arena: ArenaRow): Promise<EndpointView[]> {
  requireAdmin(actor, arena);
  const rows = await hub.db.selectFrom('arena_endpoints').selectAll().where('arena_id', '=', arena.id).orderBy('model').execute();
  return rows.map((r) => ({ model: r.model, baseUrl: r.base_url, remoteModel: r.remote_model, hasKey: r.api_key !== null, createdAt: r.created_at }));
}

/** Registers (or replaces) the endpoint of one model. */
export async function putEndpoint(hub: Hub, actor: Actor, arena: ArenaRow, body: Record<string, unknown>): Promise<EndpointView> {
  requireAdmin(actor, arena);
  const model = body.model;
  if (typeof model !== 'string' || !/^[^\s/]+\/[^\s/]+$/.test(model) || model.length > 200) throw new HubError('BadRequest', '"model" must be a model name "namespace/name"');
  const url = parseTargetUrl(body.baseUrl);
  // Refused now if it points somewhere it may not; checked again before every call (DNS may change).
  await checkTarget(url, liveOptions(hub).allowPrivateTargets);
  const remote = body.remoteModel === undefined || body.remoteModel === null ? model : body.remoteModel;
  if (typeof remote !== 'string' || remote === '' || remote.length > 200) throw new HubError('BadRequest', '"remoteModel" must be a non-empty string');
  const key = body.apiKey;
  if (key !== undefined && key !== null && (typeof key !== 'string' || key === '' || key.length > 1000 || /[\r\n]/.test(key))) throw new HubError('BadRequest', '"apiKey" must be a non-empty string');
  const row = { arena_id: arena.id, model, base_url: url.toString().replace(/\/+$/, ''), remote_model: remote, api_key: (key as string | undefined) ?? null, created_by: (actor as Extract<Actor, { kind: 'user' }>).user.id, created_at: nowIso() };
  await hub.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('arena_endpoints').where('arena_id', '=', arena.id).where('model', '=', model).execute();
    await trx.insertInto('arena_endpoints').values(row).execute();
  });
  return { model, baseUrl: row.base_url, remoteModel: remote, hasKey: row.api_key !== null, createdAt: row.created_at };
}

export async function deleteEndpoint(hub: Hub, actor: Actor, arena: ArenaRow, model: string | null): Promise<void> {
  requireAdmin(actor, arena);
  if (!model) throw new HubError('BadRequest', 'Name the model: ?model=namespace/name');
  const res = await hub.db.deleteFrom('arena_endpoints').where('arena_id', '=', arena.id).where('model', '=', model).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new HubError('NotFound', `No endpoint for ${model}`);
}

/** Two different models with endpoints, at random. */
export async function liveModels(hub: Hub, arena: ArenaRow): Promise<string[]> {
  const rows = await hub.db.selectFrom('arena_endpoints').select('model').where('arena_id', '=', arena.id).execute();
  return rows.map((r) => r.model);
}

/** Asks one model's endpoint for its answer to a prompt. */
export async function liveAnswer(hub: Hub, arena: ArenaRow, model: string, prompt: Prompt): Promise<string> {
  const ep = await hub.db.selectFrom('arena_endpoints').selectAll().where('arena_id', '=', arena.id).where('model', '=', model).executeTakeFirst();
  if (!ep) throw new HubError('Conflict', `The endpoint of ${model} was just removed; deal again`);
  const opts = liveOptions(hub);
  const url = new URL(`${ep.base_url}/v1/chat/completions`);
  const fail = (why: string): HubError => new HubError('BadGateway', `The endpoint of one of the models failed (${why}); deal again`);
  const target = await checkTarget(url, opts.allowPrivateTargets);
  const messages = typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt;
  // Read at most MAX_ANSWER_BYTES: an endpoint cannot make the hub buffer without bound. A redirect is an answer, never followed.
  const res = await pinnedPost(target, {
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(ep.api_key ? { authorization: `Bearer ${ep.api_key}` } : {}) },
    body: JSON.stringify({ model: ep.remote_model, messages }),
    timeoutMs: opts.timeoutMs,
    maxBytes: MAX_ANSWER_BYTES,
  });
  if (res.timedOut) throw fail(`no answer within ${opts.timeoutMs} ms`);
  if (res.status === null) throw fail('unreachable');
  if (res.status < 200 || res.status > 299) throw fail(`HTTP ${res.status}`);
  if (res.overflow) throw fail('answer too large');
  if (!res.complete) throw fail('connection lost');
  const text = res.body.toString('utf8');
  let content: unknown;
  try {
    content = (JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
  } catch {
    throw fail('not JSON');
  }
  if (typeof content !== 'string' || content.trim() === '') throw fail('no answer in choices[0].message.content');
  return content;
}
