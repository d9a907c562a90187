import { HubError } from '../../core/errors.js';
import type { RepoRef } from '../../core/repo-id.js';
import { benchmarkInfo, deleteResult, flagResult, getResult, listResults, postResult, resultSamples } from '../../services/evals.js';
import { getRepo } from '../../services/repos.js';
import { readJsonObject } from '../body.js';
import type { Ctx } from '../context.js';
import { pageSize, sendJson } from '../respond.js';

/** Inline per-sample scores: 50k samples with costs are ~5 MB of JSON. */
const MAX_EVALS_BODY = 16 * 1024 * 1024;
const SAMPLES_PAGE = 1000;
const MAX_SAMPLES_PAGE = 10_000;

/**
 * `/api/{T}/{repo}/evals[/…]` (an Orchard extension, docs/evaluations.md).
 * Models: `GET|POST evals`, `GET|DELETE evals/{id}`, `POST evals/{id}/flags`.
 * Datasets: `GET evals` (the benchmark and the models with results).
 * Args are the decoded segments after `evals`.
 */
export async function evalsRoute(ctx: Ctx, ref: RepoRef, args: string[]): Promise<void> {
  const actor = await ctx.actor();
  const method = ctx.method;
  const notFound = (): HubError => new HubError('NotFound', `Unknown API endpoint ${ctx.rawPath}`);
  if (ref.type === 'space' || args.length > 2) throw notFound();
  // A private repo answers exactly like a missing one (getRepo).
  const row = await getRepo(ctx.hub, actor, ref);
  const allow = (...methods: string[]): void => {
    if (!methods.includes(method)) throw new HubError('MethodNotAllowed', `${method} is not allowed here`);
  };
  if (ref.type === 'dataset') {
    if (args.length) throw notFound();
    allow('GET', 'HEAD');
    return sendJson(ctx, 200, await benchmarkInfo(ctx.hub, actor, row));
  }
  if (args.length === 0) {
    allow('GET', 'HEAD', 'POST');
    if (method === 'POST') {
      const body = await readJsonObject(ctx.req, MAX_EVALS_BODY);
      const created = await postResult(ctx.hub, actor, row, body);
      return sendJson(ctx, 200, (await getResult(ctx.hub, actor, row, created.id)).presented);
    }
    return sendJson(ctx, 200, await listResults(ctx.hub, actor, row));
  }
  const id = args[0]!;
  if (!/^[0-9a-f]{16}$/.test(id)) throw new HubError('NotFound', `No evaluation result ${id}`);
  if (args.length === 2) {
    if (args[1] !== 'flags') throw notFound();
    allow('POST');
    const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
    await flagResult(ctx.hub, actor, row, id, body);
    return sendJson(ctx, 200, (await getResult(ctx.hub, actor, row, id)).presented);
  }
  allow('GET', 'HEAD', 'DELETE');
  if (method === 'DELETE') {
    await deleteResult(ctx.hub, actor, row, id);
    return sendJson(ctx, 200, { deleted: id });
  }
  const { presented } = await getResult(ctx.hub, actor, row, id);
  const q = ctx.url.searchParams;
  if (q.get('format') === 'jsonl') {
    // The whole set, one sample per line, for tools that load it as a dataset.
    const { items } = await resultSamples(ctx.hub, id);
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8' });
    if (method === 'HEAD') return void ctx.res.end();
    for (let i = 0; i < items.length; i += 1000) {
      const chunk = items.slice(i, i + 1000).map((s) => `${JSON.stringify(s)}\n`).join('');
      if (!ctx.res.write(chunk)) await new Promise((r) => ctx.res.once('drain', r));
    }
    return void ctx.res.end();
  }
  const rawOffset = q.get('offset');
  if (rawOffset !== null && !/^\d{1,9}$/.test(rawOffset)) throw new HubError('BadRequest', '"offset" must be a number ≥ 0');
  const offset = rawOffset === null ? 0 : Number(rawOffset);
  const limit = pageSize(ctx, SAMPLES_PAGE, MAX_SAMPLES_PAGE);
  const samples = await resultSamples(ctx.hub, id, offset, limit);
  sendJson(ctx, 200, { ...presented, samples: { offset, limit, total: samples.total, items: samples.items } });
}
