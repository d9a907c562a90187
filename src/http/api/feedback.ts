import { HubError } from '../../core/errors.js';
import type { RepoRef } from '../../core/repo-id.js';
import type { FeedbackStatus } from '../../db/schema-feedback.js';
import {
  deleteFeedback,
  exportsOf,
  FEEDBACK_PAGE_SIZE,
  FEEDBACK_STATUSES,
  feedbackJson,
  getFeedback,
  isFeedbackWriter,
  listFeedback,
  parseLabels,
  requireModel,
  submitFeedback,
  triageFeedback,
} from '../../services/feedback.js';
import { prepareFeedbackExport } from '../../services/feedback-export.js';
import { submitExport } from '../../services/export-jobs.js';
import { answerExport, exportWaitSeconds } from './exports.js';
import { getRepo } from '../../services/repos.js';
import { readJson, readJsonObject } from '../body.js';
import type { Ctx } from '../context.js';
import { sendJson } from '../respond.js';

/**
 * A submission holds up to four texts of 32 000 characters (plus the
 * conversation); 1 MiB leaves room for JSON escaping and no more.
 */
const MAX_FEEDBACK_BODY = 1024 * 1024;

function methodIs(ctx: Ctx, ...methods: string[]): void {
  if (!methods.includes(ctx.method)) throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
}

/** `/api/{T}/{repo}/feedback[/…]`: args are the decoded segments after `feedback` (docs/feedback.md). */
export async function feedbackRoute(ctx: Ctx, ref: RepoRef, args: string[]): Promise<void> {
  const actor = await ctx.actor();
  // Private models answer 404 to those who cannot read them, whatever follows.
  const repo = await getRepo(ctx.hub, actor, ref, 'read');
  requireModel(repo);
  const limit = Math.min(MAX_FEEDBACK_BODY, ctx.hub.limits.maxJsonBodyBytes);

  if (args.length === 0) {
    methodIs(ctx, 'GET', 'POST');
    if (ctx.method === 'POST') {
      const row = await submitFeedback(ctx.hub, actor, repo, await readJson(ctx.req, limit));
      return sendJson(ctx, 201, feedbackJson(repo, row, { writer: isFeedbackWriter(actor, repo) }));
    }
    const q = ctx.url.searchParams;
    const p = q.get('p') ?? '0';
    if (!/^[0-9]{1,6}$/.test(p)) throw new HubError('BadRequest', '"p" must be a page number (0, 1, …)');
    const status = q.get('status') || undefined;
    if (status !== undefined && !FEEDBACK_STATUSES.includes(status as FeedbackStatus)) throw new HubError('BadRequest', '"status" must be one of new, accepted, rejected');
    const label = q.get('label') ? parseLabels([q.get('label')])[0] : undefined;
    const { items, total } = await listFeedback(ctx.hub, actor, repo, { status: status as FeedbackStatus | undefined, label, page: Number(p) });
    const writer = isFeedbackWriter(actor, repo);
    const exports = await exportsOf(ctx.hub, items.map((i) => i.id));
    return sendJson(ctx, 200, {
      items: items.map((i) => feedbackJson(repo, i, { writer, exports: exports.get(i.id) })),
      total,
      page: Number(p),
      pageSize: FEEDBACK_PAGE_SIZE,
    });
  }

  if (args.length === 1 && args[0] === 'export') {
    methodIs(ctx, 'POST');
    // Writers only; the dataset needs write access (or creation rights) too, checked by the service.
    await getRepo(ctx.hub, actor, ref, 'write');
    const body = await readJsonObject(ctx.req, limit);
    const wait = exportWaitSeconds(ctx);
    const { dataset, created, formats } = await prepareFeedbackExport(ctx.hub, actor, repo, body);
    const job = await submitExport(ctx.hub, ctx.jobs, { kind: 'feedback', sourceId: repo.id, dataset, createdDataset: created, userId: actor.kind === 'user' ? actor.user.id : '', params: { formats } });
    return answerExport(ctx, job, wait);
  }

  const id = args[0]!;
  if (args.length === 1) {
    methodIs(ctx, 'GET', 'DELETE');
    if (ctx.method === 'DELETE') {
      await deleteFeedback(ctx.hub, actor, repo, id);
      return sendJson(ctx, 200, { deleted: id });
    }
    const row = await getFeedback(ctx.hub, actor, repo, id);
    const exports = await exportsOf(ctx.hub, [row.id]);
    return sendJson(ctx, 200, feedbackJson(repo, row, { writer: isFeedbackWriter(actor, repo), exports: exports.get(row.id) }));
  }
  if (args.length === 2 && args[1] === 'triage') {
    methodIs(ctx, 'POST');
    const body = await readJsonObject(ctx.req, limit);
    const row = await triageFeedback(ctx.hub, actor, repo, id, body);
    const exports = await exportsOf(ctx.hub, [row.id]);
    return sendJson(ctx, 200, feedbackJson(repo, row, { writer: true, exports: exports.get(row.id) }));
  }
  throw new HubError('NotFound', `Unknown API endpoint ${ctx.rawPath}`);
}
