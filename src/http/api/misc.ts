import { HubError } from '../../core/errors.js';
import { type RepoType, parseRepoType } from '../../core/repo-id.js';
import { listRepos, tagsOf } from '../../services/listing.js';
import { listFiles } from '../../services/tree-index.js';
import { parseCardMetadata } from '../../services/card.js';
import { readJsonObject } from '../body.js';
import { mirroredListing } from '../mirror.js';
import type { Ctx } from '../context.js';
import { applyExpand, repoInfo } from '../presenters.js';
import { decodeCursor, encodeCursor, nextLink, pageSize, sendJson } from '../respond.js';

/** `GET /api/whoami-v2` (spec 8.1). */
export async function whoamiRoute(ctx: Ctx): Promise<void> {
  const actor = await ctx.actor();
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated: send Authorization: Bearer <token>');
  const { user, token } = actor;
  sendJson(ctx, 200, {
    type: 'user',
    id: user.id,
    name: user.name,
    fullname: user.fullname,
    email: user.email,
    emailVerified: user.email !== null,
    avatarUrl: `${ctx.baseUrl}/avatars/${encodeURIComponent(user.name)}`,
    isPro: false,
    canPay: false,
    periodEnd: null,
    billingMode: 'prepaid',
    isAdmin: user.isAdmin,
    orgs: [...actor.memberships.values()].map((m) => ({
      type: 'org',
      id: m.orgId,
      name: m.name,
      fullname: m.fullname,
      email: null,
      avatarUrl: `${ctx.baseUrl}/avatars/${encodeURIComponent(m.name)}`,
      canPay: false,
      periodEnd: null,
      roleInOrg: m.role,
    })),
    // JS dereferences auth.accessToken unconditionally (spec 0.11).
    auth: token
      ? { type: 'access_token', accessToken: { displayName: token.displayName, role: token.role, createdAt: token.createdAt, ...(token.expiresAt ? { expiresAt: token.expiresAt } : {}), ...(token.scopes ? { fineGrained: token.scopes } : {}) } }
      : { type: 'session' },
  });
}

/** `POST /api/validate-yaml`: always JSON, 400 with `errors` for invalid metadata (spec 5.7). */
export async function validateYamlRoute(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
  if (typeof body.content !== 'string') throw new HubError('BadRequest', '"content" must be a string');
  const type: RepoType = parseRepoType(body.repoType);
  try {
    parseCardMetadata(body.content, type, true);
  } catch (err) {
    if (err instanceof HubError && err.code === 'BadRequest') {
      sendJson(ctx, 400, { error: err.message, errors: (err.body?.errors as unknown) ?? [{ message: err.message }] });
      return;
    }
    throw err;
  }
  sendJson(ctx, 200, {});
}

/** `GET /api/models|datasets|spaces` with search, author, filter, sort and `Link` pages (spec 4.1). */
export async function listReposRoute(ctx: Ctx, type: RepoType): Promise<void> {
  const actor = await ctx.actor();
  const q = ctx.url.searchParams;
  const full = ctx.flag('full');
  const expand = ctx.list('expand');
  const withFiles = full || expand.includes('siblings');
  const limit = pageSize(ctx, withFiles ? 100 : 1000, withFiles ? 100 : 1000);
  const offset = decodeCursor(q.get('cursor'));
  // `other` is the Hub's name for tag filters in its own links (`other=base_model:finetune:{id}`).
  const filter = [...ctx.list('filter'), ...ctx.list('other')].flatMap((f) => f.split(','));
  for (const key of ['pipeline_tag', 'library', 'language', 'license'] as const) {
    const v = q.get(key);
    if (v) filter.push(key === 'pipeline_tag' || key === 'library' ? v : `${key}:${v}`);
  }
  const sort = q.get('sort') ?? undefined;
  const { rows, hasMore } = await listRepos(ctx.hub, actor, {
    type,
    search: ctx.list('search'),
    author: q.get('author') ?? undefined,
    filter,
    sort,
    ascending: q.get('direction') === '1',
    offset,
    limit,
  });
  const tags = await tagsOf(ctx.hub, rows.map((r) => r.id));
  const out = [];
  for (const row of rows) {
    const siblings = withFiles && row.head_sha ? await siblingsAtHead(ctx, row.id, row.head_sha) : undefined;
    const info = repoInfo(row, { sha: row.head_sha ?? undefined, tags: tags.get(row.id) ?? [], ...(siblings ? { siblings } : {}) });
    // The Hub's listings repeat the id as modelId for models.
    if (type === 'model') info.modelId = info.id;
    if (!full && !ctx.flag('cardData') && !expand.includes('cardData')) delete info.cardData;
    out.push(applyExpand(info, expand));
  }
  const headers: Record<string, string> = {};
  if (hasMore) headers.Link = nextLink(ctx, encodeCursor(offset + limit));
  // Cached upstream repos come after every local one, marked as mirrored (docs/mirror.md).
  else if (ctx.mirror && filter.length === 0) out.push(...(await mirroredListing(ctx.mirror, type, ctx.list('search')[0], q.get('author') ?? undefined)));
  sendJson(ctx, 200, out, headers);
}

async function siblingsAtHead(ctx: Ctx, repoId: string, head: string): Promise<{ rfilename: string }[]> {
  const commit = await ctx.hub.db.selectFrom('commits').select('tree_oid').where('repo_id', '=', repoId).where('oid', '=', head).executeTakeFirst();
  if (!commit) return [];
  return (await listFiles(ctx.hub, repoId, commit.tree_oid)).map((f) => ({ rfilename: f.path }));
}
