import { HubError } from '../../core/errors.js';
import type { RepoRef } from '../../core/repo-id.js';
import {
  type AccessRequest,
  decideAccessRequest,
  GATE_STATUSES,
  type GateStatus,
  grantAccess,
  listAccessRequests,
  ownAccessRequest,
  repoToManage,
  requestAccess,
} from '../../services/gated.js';
import { readJsonObject } from '../body.js';
import { auditSource, type Ctx } from '../context.js';
import { decodeCursor, encodeCursor, nextLink, pageSize, sendJson } from '../respond.js';

/**
 * One access request as PY's `AccessRequest` parses it (`hf_api.py`
 * `_list_access_requests`): `user.user`, `user.fullname`, `user.email`
 * (absent when access was granted without a request), `status`, `timestamp`
 * and `fields` (only when the form had some). `rejectionReason` is ours.
 */
export interface ApiAccessRequest {
  user: { user: string; fullname: string; type: 'user'; email?: string };
  status: GateStatus;
  timestamp: string;
  fields?: Record<string, unknown>;
  rejectionReason?: string;
}

function present(r: AccessRequest): ApiAccessRequest {
  // Requesting shares one's email with the managers (as on the Hub); a grant shares nothing.
  const shared = r.fields !== null;
  return {
    user: { user: r.user.name, fullname: r.user.fullname, type: 'user', ...(shared && r.user.email ? { email: r.user.email } : {}) },
    status: r.status,
    timestamp: r.requestedAt,
    ...(r.fields && Object.keys(r.fields).length ? { fields: r.fields } : {}),
    ...(r.rejectionReason ? { rejectionReason: r.rejectionReason } : {}),
  };
}

function allow(ctx: Ctx, method: string): void {
  if (ctx.method !== method) throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
}

/**
 * `/api/{T}/{repo}/user-access-request[/…]`:
 * - `POST` (no suffix) `{fields}`: the caller asks for access;
 * - `GET …/me`: the caller's own request;
 * - `GET …/{pending|accepted|rejected}`: a page of requests (managers), `Link` to the next;
 * - `POST …/handle` `{user, status, rejectionReason?}` and `POST …/grant` `{user}` (managers).
 */
export async function accessRequestRoute(ctx: Ctx, ref: RepoRef, args: string[]): Promise<void> {
  if (args.length > 1) throw new HubError('NotFound', `Unknown API endpoint ${ctx.rawPath}`);
  const sub = args[0];
  if (sub === undefined || sub === '') {
    allow(ctx, 'POST');
    const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
    return sendJson(ctx, 200, present(await requestAccess(ctx.hub, await auditSource(ctx), ref, body.fields)));
  }
  if (sub === 'me') {
    allow(ctx, 'GET');
    return sendJson(ctx, 200, present(await ownAccessRequest(ctx.hub, await ctx.actor(), ref)));
  }
  if ((GATE_STATUSES as readonly string[]).includes(sub)) {
    allow(ctx, 'GET');
    const row = await repoToManage(ctx.hub, await ctx.actor(), ref);
    const limit = pageSize(ctx, 100, 1000);
    const offset = decodeCursor(ctx.url.searchParams.get('cursor'));
    const { requests, hasMore } = await listAccessRequests(ctx.hub, row, sub as GateStatus, offset, limit);
    const headers: Record<string, string> = {};
    if (hasMore) headers.Link = nextLink(ctx, encodeCursor(offset + limit));
    return sendJson(ctx, 200, requests.map(present), headers);
  }
  if (sub === 'handle' || sub === 'grant') {
    allow(ctx, 'POST');
    const row = await repoToManage(ctx.hub, await ctx.actor(), ref);
    const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
    const source = await auditSource(ctx);
    const result =
      sub === 'grant'
        ? await grantAccess(ctx.hub, source, row, body.user)
        : await decideAccessRequest(ctx.hub, source, row, body.user, body.status, body.rejectionReason);
    return sendJson(ctx, 200, present(result));
  }
  throw new HubError('NotFound', `Unknown API endpoint ${ctx.rawPath}`);
}
