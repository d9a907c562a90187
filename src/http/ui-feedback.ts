import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import type { FeedbackStatus } from '../db/schema-feedback.js';
import { FEEDBACK_STATUSES, requireModel } from '../services/feedback.js';
import { getRepo } from '../services/repos.js';
import { feedbackPage } from '../ui/pages/feedback.js';
import type { Ctx } from './context.js';
import { pageContext, sendHtml } from './ui.js';

/**
 * `/{repo}/feedback` (GET/HEAD): the feedback form for signed-in readers, the
 * triage queue and export for writers, and a submitter's own feedback.
 * `?status=new|accepted|rejected&label=…&p=…` filter the list; the page
 * forgives what the API refuses (an unknown value shows everything).
 * Writes go through the JSON API from `/static/feedback.js`.
 */
export async function feedbackPageRoute(ctx: Ctx, ref: RepoRef, rest: string[], decode: (s: string) => string): Promise<void> {
  void decode;
  ctx.errorFlavor = 'html';
  if (rest.length > 0) throw new HubError('NotFound', 'Not found');
  const page = await pageContext(ctx);
  const row = await getRepo(ctx.hub, page.actor, ref);
  requireModel(row);
  const q = ctx.url.searchParams;
  const status = FEEDBACK_STATUSES.includes(q.get('status') as FeedbackStatus) ? (q.get('status') as FeedbackStatus) : undefined;
  const rawLabel = (q.get('label') ?? '').trim().toLowerCase();
  const label = /^[a-z0-9][a-z0-9 .:-]{0,39}$/.test(rawLabel) ? rawLabel : undefined;
  const p = q.get('p');
  const pageNo = p !== null && /^\d{1,6}$/.test(p) ? Number(p) : 0;
  return sendHtml(ctx, 200, await feedbackPage(ctx.hub, page, row, { status, label, page: pageNo }));
}
