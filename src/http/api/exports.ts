import { HubError } from '../../core/errors.js';
import type { RepoType } from '../../core/repo-id.js';
import { getRepo } from '../../services/repos.js';
import { exportJobJson, findExportJob, waitForExport, type ExportJob } from '../../services/export-jobs.js';
import type { Ctx } from '../context.js';
import { sendJson } from '../respond.js';

/** How long an export request waits for its job before answering 202 (seconds; `?wait=` chooses, up to this). */
const MAX_WAIT_S = 120;
const DEFAULT_WAIT_S = 30;

/** `?wait=`, read before anything is queued so that a bad value queues nothing. */
export function exportWaitSeconds(ctx: Ctx): number {
  const raw = ctx.url.searchParams.get('wait');
  if (raw === null) return DEFAULT_WAIT_S;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > MAX_WAIT_S) throw new HubError('BadRequest', `wait must be a whole number of seconds from 0 to ${MAX_WAIT_S}`);
  return n;
}

/**
 * Answers a request that queued an export (docs/feedback.md): waits up to `?wait=` seconds (default 30)
 * for the job, then answers its result (200, as before exports became jobs, plus `export`), its error
 * (the status the export failed with), or 202 with the export to poll at `Location`.
 */
export async function answerExport(ctx: Ctx, job: ExportJob, wait: number): Promise<void> {
  const seen = wait === 0 ? job : await waitForExport(ctx.hub, job.id, wait * 1000);
  if (seen.status === 'done') {
    const { result, ...about } = exportJobJson(seen, ctx.baseUrl);
    return sendJson(ctx, 200, { ...(result as Record<string, unknown>), export: about });
  }
  if (seen.status === 'failed') throw new HubError(seen.error?.code ?? 'Internal', seen.error?.message ?? 'The export failed');
  const body = exportJobJson(seen, ctx.baseUrl);
  ctx.res.setHeader('Location', String(body.url));
  sendJson(ctx, 202, body);
}

async function writesTo(ctx: Ctx, repoId: string): Promise<boolean> {
  const row = await ctx.hub.db.selectFrom('repos').select(['type', 'namespace', 'name']).where('id', '=', repoId).executeTakeFirst();
  if (!row) return false;
  try {
    await getRepo(ctx.hub, await ctx.actor(), { type: row.type as RepoType, namespace: row.namespace, name: row.name }, 'write');
    return true;
  } catch {
    return false;
  }
}

/** `GET /api/exports/{id}`: an export's state, for the user who asked for it and site admins. */
export async function exportsApiRoute(ctx: Ctx, segs: string[]): Promise<void> {
  if (segs.length !== 1 || !segs[0]) throw new HubError('NotFound', 'Not found');
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
  const actor = await ctx.actor();
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be signed in to read an export');
  const job = /^[0-9a-f-]{36}$/.test(segs[0]) ? await findExportJob(ctx.hub, segs[0]) : undefined;
  // Someone else's export is as absent as a missing one, unless this user may write to its dataset
  // (a request that joined it gets its id too).
  if (!job || !(job.userId === actor.user.id || actor.user.isAdmin || (await writesTo(ctx, job.datasetRepoId)))) throw new HubError('NotFound', `No export ${segs[0]}`);
  sendJson(ctx, 200, exportJobJson(job, ctx.baseUrl));
}
