import { HubError } from '../core/errors.js';
import { type RepoRef, typePrefix } from '../core/repo-id.js';
import { SHA256_RE } from '../core/revision.js';
import { lfsBatch, objectTooLargeMessage, parseBatchRequest, receiveLfsObject, verifyLfsObject } from '../services/lfs.js';
import { repoForLfsUpload } from '../services/pull-requests.js';
import { findRepo, getRepo, repoNotFound, type RepoRow } from '../services/repos.js';
import { repoHasLfsObject } from '../services/tree-index.js';
import { readJson } from './body.js';
import type { Ctx } from './context.js';
import { sendJson } from './respond.js';
import { serveFile } from './serve-file.js';

function lfsBase(ctx: Ctx, repo: RepoRow): string {
  return `${ctx.baseUrl}/${typePrefix(repo.type)}${repo.namespace}/${repo.name}.git/info/lfs`;
}

/**
 * Routes under `{repo}.git/info/lfs/` (spec 6.4, 6.5, 7.1): the batch API for
 * the HF clients and git-lfs, signed object transfers, verify, and a 404 for
 * the locks API so that git-lfs turns locking off.
 */
export async function lfsRoute(ctx: Ctx, ref: RepoRef, rest: string): Promise<void> {
  ctx.errorFlavor = 'lfs';
  if (rest === 'objects/batch' && ctx.method === 'POST') return batch(ctx, ref);
  if (rest.startsWith('locks')) throw new HubError('NotFound', 'File locking is not supported');
  if (rest === 'verify' && ctx.method === 'POST') return verify(ctx, ref);
  const m = /^objects\/([0-9a-f]{64})$/.exec(rest);
  if (m) {
    if (ctx.method === 'PUT') return upload(ctx, ref, m[1]!);
    if (ctx.method === 'GET' || ctx.method === 'HEAD') return download(ctx, ref, m[1]!);
    throw new HubError('MethodNotAllowed', `${ctx.method} is not allowed here`);
  }
  throw new HubError('NotFound', 'Not found');
}

async function batch(ctx: Ctx, ref: RepoRef): Promise<void> {
  const raw = await readJson(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
  const req = parseBatchRequest(raw);
  const actor = await ctx.actor();
  if (req.operation === 'upload' && actor.kind === 'anonymous') throw new HubError('Unauthorized', 'Authentication required to upload');
  // Uploads for `ref: refs/pr/<n>` are allowed to that pull request's author (docs/discussions.md).
  const repo = req.operation === 'upload' ? await repoForLfsUpload(ctx.hub, actor, ref, raw) : await getRepo(ctx.hub, actor, ref, 'content');
  const base = lfsBase(ctx, repo);
  const body = await lfsBatch(ctx.hub, repo, req, { object: (oid) => `${base}/objects/${oid}`, verify: () => `${base}/verify` });
  sendJson(ctx, 200, body, { 'Content-Type': 'application/vnd.git-lfs+json' });
}

/** The repo a signed URL names; a failed signature looks like a missing repo. */
async function signedRepo(ctx: Ctx, ref: RepoRef, parts: (repo: RepoRow) => string[]): Promise<RepoRow | undefined> {
  const repo = await findRepo(ctx.hub, ref);
  if (!repo) return undefined;
  const q = ctx.url.searchParams;
  return ctx.hub.signer.verify(parts(repo), q.get('exp'), q.get('sig')) ? repo : undefined;
}

function sizeParam(ctx: Ctx): number {
  const raw = ctx.url.searchParams.get('size');
  const size = Number(raw);
  if (raw === null || !Number.isSafeInteger(size) || size < 0) throw new HubError('BadRequest', 'Missing or invalid size');
  return size;
}

async function upload(ctx: Ctx, ref: RepoRef, oid: string): Promise<void> {
  const size = sizeParam(ctx);
  // Refuse an oversized body before reading it, and close the connection rather than drain gigabytes.
  const max = ctx.hub.limits.maxLfsObjectBytes;
  const length = Number(ctx.req.headers['content-length']);
  if (max && (size > max || length > max)) {
    throw new HubError('PayloadTooLarge', objectTooLargeMessage(Math.max(size, length || 0), max), { headers: { Connection: 'close' } });
  }
  const repo = await signedRepo(ctx, ref, (r) => ['upload', r.id, oid, String(size)]);
  if (!repo) throw new HubError('Forbidden', 'This upload URL is invalid or has expired; ask the batch API for a new one');
  const declared = ctx.req.headers['content-length'];
  if (declared !== undefined && Number(declared) !== size) {
    throw new HubError('BadRequest', `Content-Length ${declared} does not match the announced size ${size}`);
  }
  await receiveLfsObject(ctx.hub, repo, oid, size, ctx.req);
  ctx.res.writeHead(200, { 'Content-Length': '0', ETag: `"${oid}"` });
  ctx.res.end();
}

async function verify(ctx: Ctx, ref: RepoRef): Promise<void> {
  const q = ctx.url.searchParams;
  const oid = q.get('oid') ?? '';
  if (!SHA256_RE.test(oid)) throw new HubError('BadRequest', 'Missing or invalid oid');
  const size = sizeParam(ctx);
  const repo = await signedRepo(ctx, ref, (r) => ['verify', r.id, oid, String(size)]);
  if (!repo) throw new HubError('Forbidden', 'This verify URL is invalid or has expired');
  await readJson(ctx.req, ctx.hub.limits.maxJsonBodyBytes);
  await verifyLfsObject(ctx.hub, repo, oid, size);
  sendJson(ctx, 200, {}, { 'Content-Type': 'application/vnd.git-lfs+json' });
}

async function download(ctx: Ctx, ref: RepoRef, oid: string): Promise<void> {
  let repo = ctx.url.searchParams.has('sig') ? await signedRepo(ctx, ref, (r) => ['download', r.id, oid]) : undefined;
  // Without a valid signature, fall back to the caller's own access (git-lfs may send Basic credentials).
  repo ??= await getRepo(ctx.hub, await ctx.actor(), ref, 'content');
  if (!(await repoHasLfsObject(ctx.hub, repo.id, oid))) throw new HubError('NotFound', `Object ${oid} does not exist`);
  const stat = await ctx.hub.blobs.stat(oid);
  if (!stat) throw new HubError('NotFound', `Object ${oid} does not exist`);
  await serveFile(ctx, {
    size: stat.size, etag: `"${oid}"`, path: oid, headers: {},
    open: (range) => ctx.hub.blobs.read(oid, range),
    openReader: ctx.hub.blobs.openReader ? () => ctx.hub.blobs.openReader!(oid) : undefined,
  });
}

export { repoNotFound };
