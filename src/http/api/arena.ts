import { HubError } from '../../core/errors.js';
import {
  type ArenaLeaderboard,
  type ArenaRow,
  arenaLeaderboard,
  createArena,
  dealBattle,
  deleteArena,
  findArena,
  listArenas,
  vote,
} from '../../services/arena.js';
import { prepareArenaExport } from '../../services/arena-export.js';
import { submitExport } from '../../services/export-jobs.js';
import { answerExport, exportWaitSeconds } from './exports.js';
import { deleteEndpoint, listEndpoints, putEndpoint } from '../../services/arena-live.js';
import { renderMarkdown } from '../../ui/markdown.js';
import { readJsonObject } from '../body.js';
import type { Ctx } from '../context.js';
import { sendJson } from '../respond.js';

function methodIs(ctx: Ctx, ...methods: string[]): void {
  if (!methods.includes(ctx.method)) throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
}

export function arenaJson(ctx: Ctx, row: ArenaRow): Record<string, unknown> {
  const name = `${row.namespace}/${row.slug}`;
  return {
    name,
    namespace: row.namespace,
    slug: row.slug,
    title: row.title,
    private: row.private === 1,
    dataset: row.dataset,
    file: row.file,
    revision: row.commit_sha,
    prompts: row.prompts,
    models: row.models,
    votesPerMinute: row.votes_per_minute,
    voterCap: row.voter_cap,
    live: row.live === 1,
    createdAt: row.created_at,
    url: `${ctx.baseUrl}/arena/${name}`,
  };
}

/** The leaderboard as JSON: plain ratings always, style-controlled ones when asked for. */
export function leaderboardJson(board: ArenaLeaderboard): Record<string, unknown> {
  const fit = board.fit;
  return {
    votes: board.votes,
    voterCap: board.voterCap,
    bootstrap: board.bootstrap,
    seed: board.seed,
    style: board.style,
    method: fit?.label ?? null,
    battlesUsed: fit?.battlesUsed ?? 0,
    // How many voters the cap held back, and their largest share before it: not who they are.
    cappedVoters: fit?.cappedVoters.length ?? 0,
    largestShareBeforeCap: fit?.cappedVoters.length ? Math.max(...fit.cappedVoters.map((v) => v.shareBefore)) : null,
    ratings: fit?.plain.ratings ?? [],
    styleControlled: fit?.styleControlled ? { ratings: fit.styleControlled.ratings, coefficients: fit.styleControlled.coefficients } : null,
  };
}

/** `seed` from the query: a non-negative safe integer, default 1. */
export function seedParam(ctx: Ctx): number {
  const raw = ctx.url.searchParams.get('seed');
  if (raw === null || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new HubError('BadRequest', 'seed must be an integer ≥ 0');
  return n;
}

export function styleParam(ctx: Ctx): boolean {
  const raw = ctx.url.searchParams.get('style');
  if (raw === null || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new HubError('BadRequest', 'style must be 1 or 0');
}

const body = (ctx: Ctx): Promise<Record<string, unknown>> => readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);

/**
 * `/api/arena[/…]` (docs/arena.md), segments after `arena`:
 * - `[]`: GET list (`owner`), POST create;
 * - `[ns, slug]`: GET, DELETE;
 * - `[ns, slug, 'battles']`: POST deal a battle;
 * - `[ns, slug, 'battles', id, 'vote']`: POST vote (`winner`, optional `consent`);
 * - `[ns, slug, 'export']`: POST export consented votes to a dataset (docs/feedback.md);
 * - `[ns, slug, 'leaderboard']`: GET ratings (`style`, `seed`);
 * - `[ns, slug, 'endpoints']`: a live arena's model endpoints: GET, PUT one, DELETE `?model=`.
 */
export async function arenaApiRoute(ctx: Ctx, segs: string[]): Promise<void> {
  const actor = await ctx.actor();
  if (segs.length === 0 || (segs.length === 1 && segs[0] === '')) {
    methodIs(ctx, 'GET', 'HEAD', 'POST');
    if (ctx.method === 'POST') {
      const b = await body(ctx);
      const row = await createArena(ctx.hub, actor, b);
      return sendJson(ctx, 200, arenaJson(ctx, row));
    }
    const rows = await listArenas(ctx.hub, actor, ctx.list('owner'));
    return sendJson(ctx, 200, rows.map((r) => arenaJson(ctx, r)));
  }
  const unknown = (): HubError => new HubError('NotFound', `Unknown endpoint ${ctx.rawPath}`);
  if (segs.length < 2) throw unknown();
  const [ns, slug, what, battleId, verb] = segs as [string, string, string?, string?, string?];
  if (segs.length === 2) {
    methodIs(ctx, 'GET', 'HEAD', 'DELETE');
    if (ctx.method === 'DELETE') {
      await deleteArena(ctx.hub, actor, ns, slug);
      return sendJson(ctx, 200, { deleted: `${ns}/${slug}` });
    }
    return sendJson(ctx, 200, arenaJson(ctx, await findArena(ctx.hub, actor, ns, slug)));
  }
  if (segs.length === 3 && what === 'battles') {
    methodIs(ctx, 'POST');
    const arena = await findArena(ctx.hub, actor, ns, slug);
    const dealt = await dealBattle(ctx.hub, actor, arena);
    // The answers also come rendered (sanitised Markdown), so the page shows exactly what the hub would.
    return sendJson(ctx, 200, {
      battleId: dealt.battleId,
      promptId: dealt.promptId,
      prompt: dealt.prompt,
      a: { answer: dealt.a.answer, html: renderMarkdown(dealt.a.answer) },
      b: { answer: dealt.b.answer, html: renderMarkdown(dealt.b.answer) },
    });
  }
  if (segs.length === 5 && what === 'battles' && verb === 'vote') {
    methodIs(ctx, 'POST');
    const arena = await findArena(ctx.hub, actor, ns, slug);
    const b = await body(ctx);
    return sendJson(ctx, 200, await vote(ctx.hub, actor, arena, battleId!, b.winner, b.consent));
  }
  if (segs.length === 3 && what === 'leaderboard') {
    methodIs(ctx, 'GET', 'HEAD');
    const arena = await findArena(ctx.hub, actor, ns, slug);
    const board = await arenaLeaderboard(ctx.hub, arena, { style: styleParam(ctx), seed: seedParam(ctx) });
    return sendJson(ctx, 200, { arena: arenaJson(ctx, arena), ...leaderboardJson(board) });
  }
  if (segs.length === 3 && what === 'export') {
    methodIs(ctx, 'POST');
    const arena = await findArena(ctx.hub, actor, ns, slug);
    const wait = exportWaitSeconds(ctx);
    const { dataset, created } = await prepareArenaExport(ctx.hub, actor, arena, await body(ctx));
    const job = await submitExport(ctx.hub, ctx.jobs, { kind: 'arena', sourceId: arena.id, dataset, createdDataset: created, userId: actor.kind === 'user' ? actor.user.id : '', params: {} });
    return answerExport(ctx, job, wait);
  }
  if (segs.length === 3 && what === 'endpoints') {
    methodIs(ctx, 'GET', 'HEAD', 'PUT', 'DELETE');
    const arena = await findArena(ctx.hub, actor, ns, slug);
    if (ctx.method === 'PUT') return sendJson(ctx, 200, await putEndpoint(ctx.hub, actor, arena, await body(ctx)));
    if (ctx.method === 'DELETE') {
      const model = ctx.url.searchParams.get('model');
      await deleteEndpoint(ctx.hub, actor, arena, model);
      return sendJson(ctx, 200, { deleted: model });
    }
    return sendJson(ctx, 200, await listEndpoints(ctx.hub, actor, arena));
  }
  throw unknown();
}
