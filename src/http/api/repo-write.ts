import { HubError } from '../../core/errors.js';
import type { RepoRef } from '../../core/repo-id.js';
import { typePrefix } from '../../core/repo-id.js';
import { createCommit } from '../../services/commit.js';
import { readCommitPayload } from '../../services/commit-payload.js';
import { parsePreuploadBody, preupload } from '../../services/preupload.js';
import { commitAsPullRequest, repoForCommit } from '../../services/pull-requests.js';
import { createBranch, createTag, deleteBranch, deleteTag } from '../../services/refs.js';
import { getRepo } from '../../services/repos.js';
import { readJson, readJsonObject, readLines } from '../body.js';
import type { Ctx } from '../context.js';
import { sendJson } from '../respond.js';

/** `POST /api/{T}/{repo}/preupload/{rev}` (spec 6.2). */
export async function preuploadRoute(ctx: Ctx, ref: RepoRef, revision: string): Promise<void> {
  // create_pr (spec 6.8) and refs/pr/<n> need less than write access: see repoForCommit.
  const repo = await repoForCommit(ctx.hub, await ctx.actor(), ref, revision, ctx.flag('create_pr'));
  const body = parsePreuploadBody(await readJson(ctx.req, ctx.hub.limits.maxJsonBodyBytes));
  sendJson(ctx, 200, await preupload(ctx.hub, repo, revision, body));
}

/** `POST /api/{T}/{repo}/commit/{rev}` with an NDJSON body (spec 6.7). */
export async function commitRoute(ctx: Ctx, ref: RepoRef, revision: string): Promise<void> {
  const createPr = ctx.flag('create_pr');
  const repo = await repoForCommit(ctx.hub, await ctx.actor(), ref, revision, createPr);
  const type = String(ctx.req.headers['content-type'] ?? '');
  if (type && !/ndjson|json|text\/plain/i.test(type)) throw new HubError('UnsupportedMediaType', 'Expected application/x-ndjson');
  const payload = await readCommitPayload(readLines(ctx.req, ctx.hub.limits.maxCommitLineBytes), ctx.hub.tmpDir);
  try {
    const repoUrl = `${ctx.baseUrl}/${typePrefix(repo.type)}${repo.namespace}/${repo.name}`;
    if (createPr) {
      const { commitOid, num } = await commitAsPullRequest(ctx.hub, await ctx.actor(), repo, revision, payload);
      sendJson(ctx, 200, { success: true, commitOid, commitUrl: `${repoUrl}/commit/${commitOid}`, pullRequestUrl: `${repoUrl}/discussions/${num}`, hookOutput: '' });
      return;
    }
    const { commitOid } = await createCommit(ctx.hub, await ctx.actor(), repo, revision, payload);
    sendJson(ctx, 200, { success: true, commitOid, commitUrl: `${repoUrl}/commit/${commitOid}`, hookOutput: '' });
  } finally {
    await payload.cleanup();
  }
}

/** `POST|DELETE /api/{T}/{repo}/branch/{branch}` (spec 5.5). */
export async function branchRoute(ctx: Ctx, ref: RepoRef, branch: string): Promise<void> {
  const actor = await ctx.actor();
  const repo = await getRepo(ctx.hub, actor, ref, 'write');
  if (ctx.method === 'DELETE') {
    await deleteBranch(ctx.hub, repo, branch);
  } else {
    const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
    const sp = body.startingPoint;
    if (sp !== undefined && sp !== null && typeof sp !== 'string') throw new HubError('BadRequest', 'startingPoint must be a string');
    await createBranch(ctx.hub, actor, repo, branch, {
      startingPoint: typeof sp === 'string' ? sp : undefined,
      emptyBranch: body.emptyBranch === true,
      overwrite: body.overwrite === true,
    });
  }
  sendJson(ctx, 200, {});
}

/** `POST /api/{T}/{repo}/tag/{revision}` and `DELETE /api/{T}/{repo}/tag/{tag}` (spec 5.6). */
export async function tagRoute(ctx: Ctx, ref: RepoRef, nameOrRevision: string): Promise<void> {
  const actor = await ctx.actor();
  const repo = await getRepo(ctx.hub, actor, ref, 'write');
  if (ctx.method === 'DELETE') {
    await deleteTag(ctx.hub, repo, nameOrRevision);
  } else {
    const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
    if (typeof body.tag !== 'string') throw new HubError('BadRequest', '"tag" is required');
    if (body.message !== undefined && body.message !== null && typeof body.message !== 'string') throw new HubError('BadRequest', '"message" must be a string');
    await createTag(ctx.hub, actor, repo, nameOrRevision, body.tag, typeof body.message === 'string' && body.message ? body.message : undefined);
  }
  sendJson(ctx, 200, {});
}
