import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubError } from '../core/errors.js';
import { makeRepoRef, type RepoRef, type RepoType, typeFromPlural } from '../core/repo-id.js';
import { splitRevisionAndPath } from '../core/revision.js';
import type { Hub } from '../services/hub.js';
import { findRenamed, getRepo, localNameTaken } from '../services/repos.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { MirrorCache } from '../mirror/cache-service.js';
import { mirrorPageRoute, mirrorPathsInfoRoute, mirrorRepoInfoRoute, mirrorRepoPageRoute, mirrorResolveRoute, mirrorStatsRoute, mirrorTreeRoute } from './mirror.js';
import { mirrorGitRoute, mirrorLfsRoute } from './mirror-git.js';
import { refusedPullRequestPushes } from '../services/pull-requests.js';
import { repoHasLfsObject } from '../services/tree-index.js';
import { createRepoRoute, deleteRepoRoute, moveRepoRoute, updateSettingsRoute } from './api/repo-admin.js';
import { commitsRoute, pathsInfoRoute, refsRoute, repoInfoRoute, treeRoute } from './api/repo-read.js';
import { branchRoute, commitRoute, preuploadRoute, tagRoute } from './api/repo-write.js';
import { listReposRoute, validateYamlRoute, whoamiRoute } from './api/misc.js';
import { accessRequestRoute } from './api/gated.js';
import { accountRoute, changePasswordRoute } from './api/accounts.js';
import { adminRoute } from './api/admin.js';
import { auditRoute } from './api/audit.js';
import { orgsRoute } from './api/orgs.js';
import { tokensRoute } from './api/tokens.js';
import { quotaRoute } from './api/quotas.js';
import { readJsonObject } from './body.js';
import { clientAddress } from './client-address.js';
import { Ctx } from './context.js';
import { sendError } from './errors.js';
import { gitRoute, type HookConfig } from './git.js';
import { lfsRoute } from './lfs.js';
import type { RateLimits } from './rate-limit.js';
import { resolveRoute } from './resolve.js';
import { namespaceRoute, repoPageRoute, staticRoute, topPageRoute } from './ui.js';
import { accountPageRoute, isAccountPage, REPO_WRITE_PAGES, repoWritePageRoute } from './ui-write.js';
import { sendJson } from './respond.js';
import { opsEndpoint, type Operations } from './ops.js';
import { observeRequest } from './request-observer.js';
import { collectionsApiRoute } from './api/collections.js';
import { discussionsRoute } from './api/discussions.js';
import { lineageRoute } from './api/lineage.js';
import { repoSocialRoute, userLikesRoute } from './api/social.js';
import { webhooksApiRoute } from './api/webhooks.js';
import { collectionsPageRoute } from './ui-collections.js';
import { communityPageRoute } from './ui-community.js';
import { lineagePageRoute } from './ui-lineage.js';
import { webhooksPageRoute } from './ui-webhooks.js';
import { evalsRoute } from './api/evals.js';
import { feedbackRoute } from './api/feedback.js';
import { evalsPageRoute } from './ui-evals.js';
import { feedbackPageRoute } from './ui-feedback.js';
import { leaderboardsApiRoute } from './api/leaderboards.js';
import { leaderboardsPageRoute } from './ui-leaderboards.js';
import { arenaApiRoute } from './api/arena.js';
import { exportsApiRoute } from './api/exports.js';
import { arenaPageRoute } from './ui-arena.js';

export interface AppOptions {
  hub: Hub;
  publicUrl: string | undefined;
  trustProxy: boolean;
  hook: HookConfig;
  /** Per-token / per-address request limits and the login limiter; none when absent. */
  rateLimits?: RateLimits;
  /** The pull-through cache of an upstream hub (docs/mirror.md), when configured. */
  mirror?: MirrorCache;
  /** Health, readiness, metrics and the request log (docs/operations.md). */
  ops: Operations;
  /** The background job queue: dataset exports are handed to it. */
  jobs: JobQueue;
}

// The real Hub's list plus the resolve headers (spec 1.7).
const EXPOSED_HEADERS = [
  'X-Repo-Commit', 'X-Request-Id', 'X-Error-Code', 'X-Error-Message', 'X-Total-Count', 'ETag', 'Link', 'Accept-Ranges',
  'Content-Range', 'X-Linked-Etag', 'X-Linked-Size', 'Content-Disposition', 'Retry-After', 'RateLimit', 'RateLimit-Policy',
].join(',');

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HubError('BadRequest', 'Invalid percent-encoding in the URL');
  }
}

function methodIs(ctx: Ctx, ...methods: string[]): void {
  if (!methods.includes(ctx.method)) throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed on this endpoint`);
}

/** Builds the request handler: one dispatcher over the hub's URL space (spec 1.1). */
export function createApp(opts: AppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { hub } = opts;
  return (req, res) => {
    // PY sends a random X-Amzn-Trace-Id on every request; echoing it lets users match logs (spec 1.4).
    const given = req.headers['x-request-id'] ?? req.headers['x-amzn-trace-id'];
    const requestId = (typeof given === 'string' && /^[\w=;.-]{1,200}$/.test(given) && given) || randomUUID();
    const ctx = new Ctx(req, res, hub, baseUrlFor(req, opts), requestId);
    ctx.clientIp = clientAddress(req, opts.trustProxy);
    ctx.rateLimits = opts.rateLimits;
    ctx.mirror = opts.mirror;
    ctx.jobs = opts.jobs;
    observeRequest(ctx, opts.ops);
    res.setHeader('X-Request-Id', requestId);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (ctx.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, Range, X-Request-Id, Accept, Cache-Control',
        'Access-Control-Max-Age': '86400',
      });
      res.end();
      return;
    }
    dispatch(ctx, opts).catch((err: unknown) => sendError(ctx, err));
  };
}

function baseUrlFor(req: IncomingMessage, opts: AppOptions): string {
  if (opts.publicUrl) return opts.publicUrl;
  const fwdHost = opts.trustProxy ? req.headers['x-forwarded-host'] : undefined;
  const fwdProto = opts.trustProxy ? req.headers['x-forwarded-proto'] : undefined;
  const host = (typeof fwdHost === 'string' && fwdHost.split(',')[0]!.trim()) || req.headers.host || `localhost`;
  const proto = (typeof fwdProto === 'string' && fwdProto.split(',')[0]!.trim()) || 'http';
  // A Host header is client-controlled: keep only characters a host:port may have.
  const safeHost = /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? host : 'localhost';
  return `${proto === 'https' ? 'https' : 'http'}://${safeHost}`;
}

async function dispatch(ctx: Ctx, opts: AppOptions): Promise<void> {
  const probe = opsEndpoint(ctx.rawPath);
  // Before rate limits: a probe must never read a 429 as "down" (ops.ts limits the callers that need it).
  if (probe) return opts.ops.route(ctx, probe);
  await opts.rateLimits?.checkRequest(ctx);
  const segs = ctx.rawPath.split('/').slice(1);
  if (segs[0] === 'api') return api(ctx, segs.slice(1), opts);
  if (segs[0] === 'internal') return internal(ctx, segs.slice(1), opts.hook.token);
  if (segs[0] === 'mirror' && segs.length === 1) return methodIs(ctx, 'GET', 'HEAD'), mirrorPageRoute(ctx);
  if (segs[0] === 'static') return methodIs(ctx, 'GET', 'HEAD'), staticRoute(ctx, segs.slice(1).map(decodeSegment));
  if (segs[0] === 'leaderboards' && segs.length <= 3) return methodIs(ctx, 'GET', 'HEAD'), leaderboardsPageRoute(ctx, segs.slice(1).map(decodeSegment));
  if (segs[0] === 'arena' && segs.length <= 4) return methodIs(ctx, 'GET', 'HEAD'), arenaPageRoute(ctx, segs.slice(1).map(decodeSegment));
  if (segs[0] === 'collections' && segs.length <= 3) return methodIs(ctx, 'GET', 'HEAD'), collectionsPageRoute(ctx, segs.slice(1).map(decodeSegment));
  if (segs[0] === 'settings' && segs[1] === 'webhooks') return methodIs(ctx, 'GET', 'HEAD'), webhooksPageRoute(ctx, segs.slice(2).map(decodeSegment));
  if ((ctx.method === 'GET' || ctx.method === 'HEAD') && isAccountPage(segs)) return accountPageRoute(ctx, segs);
  if (segs.length === 1 && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
    if (segs[0] === '' || segs[0] === 'models' || segs[0] === 'datasets' || segs[0] === 'spaces') return topPageRoute(ctx, segs[0]!);
    return namespaceRoute(ctx, decodeSegment(segs[0]!));
  }
  return repoPaths(ctx, segs, opts);
}

/** `/{P}{ns}/{name}[.git]/…`: resolve, raw, git smart HTTP and LFS. */
async function repoPaths(ctx: Ctx, segs: string[], opts: AppOptions): Promise<void> {
  let type: RepoType = 'model';
  if (segs[0] === 'datasets' || segs[0] === 'spaces') {
    type = segs[0] === 'datasets' ? 'dataset' : 'space';
    segs = segs.slice(1);
  }
  if (segs.length < 2) throw new HubError('NotFound', 'Not found');
  const ns = decodeSegment(segs[0]!);
  let name = decodeSegment(segs[1]!);
  const dotGit = name.endsWith('.git');
  if (dotGit) name = name.slice(0, -4);
  const ref = makeRepoRef(type, ns, name);
  const rest = segs.slice(2);
  return withRenames(ctx, ref, segs.length, () => repoPathRoutes(ctx, ref, dotGit, rest, opts), mirroredPath(ctx, ref, dotGit, rest, opts.mirror));
}

/** What the pull-through cache answers of `/{P}{repo}/…` for a repo this hub does not hold. */
function mirroredPath(ctx: Ctx, ref: RepoRef, dotGit: boolean, rest: string[], mirror: MirrorCache | undefined): (() => Promise<void>) | undefined {
  const action = rest[0];
  if (!mirror) return undefined;
  const restPath = rest.map(decodeSegment).join('/');
  if (restPath.startsWith('info/lfs/')) return () => mirrorLfsRoute(ctx, mirror, ref, restPath.slice('info/lfs/'.length), ctx.baseUrl + mirror.repoPath(ref));
  if (restPath === 'info/refs' || restPath === 'git-upload-pack' || restPath === 'git-receive-pack') return () => mirrorGitRoute(ctx, mirror, ref, restPath);
  if (!dotGit && action === undefined && (ctx.method === 'GET' || ctx.method === 'HEAD')) return () => mirrorRepoPageRoute(ctx, mirror, ref);
  if (dotGit || (action !== 'resolve' && action !== 'raw') || rest.length < 3) return undefined;
  return () => mirrorResolveRoute(ctx, mirror, ref, decodeSegment(rest[1]!), rest.slice(2).map(decodeSegment).join('/'), action === 'raw');
}

/** What the pull-through cache answers of `/api/{T}/{repo}/…` (info, tree, paths-info). */
function mirroredApi(ctx: Ctx, ref: RepoRef, rest: string[], mirror: MirrorCache | undefined): (() => Promise<void>) | undefined {
  if (!mirror) return undefined;
  const [action, ...args] = rest;
  if (action === undefined) return () => mirrorRepoInfoRoute(ctx, mirror, ref, undefined);
  if (action === 'revision' && args.length > 0) return () => mirrorRepoInfoRoute(ctx, mirror, ref, args.map(decodeSegment).join('/'));
  if (action === 'tree' && args.length > 0) {
    const { revision, path } = splitRevisionAndPath(args);
    return () => mirrorTreeRoute(ctx, mirror, ref, decodeSegment(revision), path.map(decodeSegment).join('/').replace(/\/+$/, ''));
  }
  if (action === 'paths-info' && args.length === 1) return () => mirrorPathsInfoRoute(ctx, mirror, ref, decodeSegment(args[0]!));
  return undefined;
}

async function repoPathRoutes(ctx: Ctx, ref: RepoRef, dotGit: boolean, rest: string[], opts: AppOptions): Promise<void> {
  const action = rest[0];
  if (!dotGit && (action === 'resolve' || action === 'raw')) {
    methodIs(ctx, 'GET', 'HEAD');
    if (rest.length < 3) throw new HubError('EntryNotFound', 'A revision and a file path are required');
    const revision = decodeSegment(rest[1]!);
    const filePath = rest.slice(2).map(decodeSegment).join('/');
    return resolveRoute(ctx, ref, revision, filePath, action === 'raw');
  }
  if (!dotGit && (action === 'discussions' || action === 'model-tree' || action === 'evals' || action === 'feedback')) {
    methodIs(ctx, 'GET', 'HEAD');
    const pages = { discussions: communityPageRoute, 'model-tree': lineagePageRoute, evals: evalsPageRoute, feedback: feedbackPageRoute };
    return pages[action](ctx, ref, rest.slice(1), decodeSegment);
  }
  if (!dotGit && (ctx.method === 'GET' || ctx.method === 'HEAD') && action !== undefined && REPO_WRITE_PAGES.has(action)) {
    return repoWritePageRoute(ctx, ref, rest, decodeSegment);
  }
  if (!dotGit && (ctx.method === 'GET' || ctx.method === 'HEAD') && (action === undefined || action === 'tree' || action === 'blob' || action === 'commits' || action === 'commit' || action === 'refs')) {
    return repoPageRoute(ctx, ref, rest, decodeSegment);
  }
  const restPath = rest.map(decodeSegment).join('/');
  if (restPath.startsWith('info/lfs/')) return lfsRoute(ctx, ref, restPath.slice('info/lfs/'.length));
  if (restPath === 'info/refs' || restPath === 'git-upload-pack' || restPath === 'git-receive-pack' || restPath === 'HEAD') {
    return gitRoute(ctx, ref, restPath, opts.hook);
  }
  throw new HubError('NotFound', 'Not found');
}

async function api(ctx: Ctx, segs: string[], opts: AppOptions): Promise<void> {
  const [first, second] = segs;
  if (first === 'whoami-v2') return methodIs(ctx, 'GET'), whoamiRoute(ctx);
  if (first === 'validate-yaml') return methodIs(ctx, 'POST'), validateYamlRoute(ctx);
  if (first === 'organizations') return orgsRoute(ctx, segs.slice(1).map(decodeSegment));
  if (first === 'settings' && second === 'tokens' && segs.length <= 3) return tokensRoute(ctx, segs[2] === undefined ? undefined : decodeSegment(segs[2]));
  if (first === 'audit' && segs.length === 1) return methodIs(ctx, 'GET'), auditRoute(ctx);
  if (segs.length === 1 && (first === 'login' || first === 'logout' || first === 'session' || first === 'signup')) return accountRoute(ctx, first);
  if (first === 'settings' && second === 'password' && segs.length === 2) return changePasswordRoute(ctx);
  if (first === 'settings' && second === 'webhooks') return webhooksApiRoute(ctx, segs.slice(2).map(decodeSegment));
  if (first === 'mirror' && segs.length === 1) return methodIs(ctx, 'GET'), mirrorStatsRoute(ctx);
  if (first === 'collections') return collectionsApiRoute(ctx, segs.slice(1).map(decodeSegment));
  if (first === 'leaderboards') return leaderboardsApiRoute(ctx, segs.slice(1).map(decodeSegment));
  if (first === 'arena') return arenaApiRoute(ctx, segs.slice(1).map(decodeSegment));
  if (first === 'exports') return exportsApiRoute(ctx, segs.slice(1).map(decodeSegment));
  if (first === 'users' && segs.length === 3 && segs[2] === 'likes') return methodIs(ctx, 'GET'), userLikesRoute(ctx, decodeSegment(second!));
  if (first === 'admin' && second === 'quotas' && segs.length === 3) return quotaRoute(ctx, decodeSegment(segs[2]!));
  if (first === 'admin') return adminRoute(ctx, segs.slice(1).map(decodeSegment));
  if (first === 'repos' && segs.length === 2) {
    if (second === 'create') return methodIs(ctx, 'POST'), createRepoRoute(ctx);
    if (second === 'delete') return methodIs(ctx, 'DELETE'), deleteRepoRoute(ctx);
    if (second === 'move') return methodIs(ctx, 'POST'), moveRepoRoute(ctx);
  }
  const type = first ? typeFromPlural(first) : undefined;
  if (type && segs.length === 1) return methodIs(ctx, 'GET'), listReposRoute(ctx, type);
  if (type && segs.length >= 3) {
    const ref = makeRepoRef(type, decodeSegment(segs[1]!), decodeSegment(segs[2]!));
    return withRenames(ctx, ref, segs.length - 1, () => repoApi(ctx, ref, segs.slice(3)), mirroredApi(ctx, ref, segs.slice(3), opts.mirror));
  }
  throw new HubError('NotFound', `Unknown API endpoint ${ctx.rawPath}`);
}

/**
 * Reads of a renamed repo's old URLs answer with a relative 307 to the new
 * name (spec 5.4: PY follows relative redirects and keeps its token).
 * `tailLength` counts the path segments after `{ns}/{name}`, plus those two.
 * With a pull-through cache, a name no local repo has (or had) is the
 * mirror's to answer (`mirrored`): local repos shadow upstream ones.
 */
async function withRenames(ctx: Ctx, ref: RepoRef, tailLength: number, fn: () => Promise<void>, mirrored?: () => Promise<void>): Promise<void> {
  // Decided before the local route runs: it may read the request body before it finds no repo.
  if (mirrored && !(await localNameTaken(ctx.hub, ref))) return mirrored();
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof HubError && err.code === 'RepoNotFound' && (ctx.method === 'GET' || ctx.method === 'HEAD'))) throw err;
    const row = await findRenamed(ctx.hub, await ctx.actor(), ref);
    if (!row) throw err;
    const segs = ctx.rawPath.split('/');
    const at = segs.length - tailLength;
    const dotGit = segs[at + 1]!.endsWith('.git') ? '.git' : '';
    segs[at] = encodeURIComponent(row.namespace);
    segs[at + 1] = encodeURIComponent(row.name) + dotGit;
    ctx.res.writeHead(307, { Location: segs.join('/') + ctx.url.search, 'Content-Length': '0' });
    ctx.res.end();
  }
}

/** `/api/{T}/{ns}/{name}/…` */
async function repoApi(ctx: Ctx, ref: RepoRef, rest: string[]): Promise<void> {
  const [action, ...args] = rest;
  const one = (): string => {
    if (args.length !== 1) throw new HubError('NotFound', 'Not found');
    return decodeSegment(args[0]!);
  };
  switch (action) {
    case undefined:
      methodIs(ctx, 'GET', 'HEAD');
      return repoInfoRoute(ctx, ref, undefined);
    case 'revision':
      methodIs(ctx, 'GET', 'HEAD');
      return repoInfoRoute(ctx, ref, args.map(decodeSegment).join('/'));
    case 'tree': {
      methodIs(ctx, 'GET');
      // JS sends the revision unencoded here (spec 1.2); PY encodes '/' in it (`feature%2Fx`), so
      // split the raw segments first and decode after, or that revision would lose its tail.
      const { revision, path } = splitRevisionAndPath(args);
      return treeRoute(ctx, ref, decodeSegment(revision), path.map(decodeSegment).join('/').replace(/\/+$/, ''));
    }
    case 'commits': {
      methodIs(ctx, 'GET');
      const { revision } = splitRevisionAndPath(args);
      return commitsRoute(ctx, ref, decodeSegment(revision));
    }
    case 'paths-info':
      methodIs(ctx, 'POST');
      return pathsInfoRoute(ctx, ref, one());
    case 'refs':
      methodIs(ctx, 'GET');
      return refsRoute(ctx, ref);
    case 'preupload':
      methodIs(ctx, 'POST');
      return preuploadRoute(ctx, ref, one());
    case 'commit':
      methodIs(ctx, 'POST');
      return commitRoute(ctx, ref, one());
    case 'branch':
      methodIs(ctx, 'POST', 'DELETE');
      return branchRoute(ctx, ref, args.map(decodeSegment).join('/'));
    case 'tag':
      methodIs(ctx, 'POST', 'DELETE');
      return tagRoute(ctx, ref, args.map(decodeSegment).join('/'));
    case 'settings':
      methodIs(ctx, 'PUT');
      return updateSettingsRoute(ctx, ref);
    case 'discussions':
      return discussionsRoute(ctx, ref, args.map(decodeSegment));
    case 'like':
    case 'likers':
    case 'downloads':
      return repoSocialRoute(ctx, ref, action, args.map(decodeSegment));
    case 'model-tree':
      return lineageRoute(ctx, ref, args.map(decodeSegment));
    case 'evals':
      return evalsRoute(ctx, ref, args.map(decodeSegment));
    case 'feedback':
      return feedbackRoute(ctx, ref, args.map(decodeSegment));
    case 'user-access-request':
      return accessRequestRoute(ctx, ref, args.map(decodeSegment));
    case 'auth-check': {
      methodIs(ctx, 'GET');
      await getRepo(ctx.hub, await ctx.actor(), ref);
      return sendJson(ctx, 200, {});
    }
    case 'xet-write-token':
    case 'xet-read-token':
      // PY >= 1.20 with hf_xet uploads through Xet unconditionally (spec 6.9).
      throw new HubError('NotImplemented', 'This hub does not support Xet storage. Set HF_HUB_DISABLE_XET=1 to upload through LFS.');
    default:
      throw new HubError('NotFound', `Unknown API endpoint ${ctx.rawPath}`);
  }
}

/** Callback for the pre-receive hook: which of these LFS objects may this push reference? */
async function internal(ctx: Ctx, segs: string[], token: string): Promise<void> {
  if (segs.join('/') !== 'hooks/lfs-check' || ctx.method !== 'POST') throw new HubError('NotFound', 'Not found');
  const given = Buffer.from(String(ctx.req.headers['x-orchard-hook-token'] ?? ''));
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HubError('Forbidden', 'Forbidden');
  const body = await readJsonObject(ctx.req, ctx.hub.limits.maxJsonBodyBytes * 4);
  const repoId = String(body.repoId);
  const oids = Array.isArray(body.oids) ? body.oids.map(String) : [];
  const missing: string[] = [];
  for (const oid of oids) {
    if (!(await ctx.hub.blobs.stat(oid)) || !(await repoHasLfsObject(ctx.hub, repoId, oid))) missing.push(oid);
  }
  sendJson(ctx, 200, { missing, refused: await refusedPullRequestPushes(ctx.hub, body) });
}
