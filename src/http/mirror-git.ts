import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import type { MirrorCache } from '../mirror/cache-service.js';
import { readJson } from './body.js';
import type { Ctx } from './context.js';
import { sendJson } from './respond.js';
import { serveFile } from './serve-file.js';

/** Request headers git sends that upstream needs to answer the same way. */
const GIT_HEADERS = ['content-type', 'content-encoding', 'git-protocol', 'accept'];

/**
 * git smart HTTP (fetch only) for an upstream repo: passed through to
 * upstream with the mirror's token. Packs are not cached (a clone needs
 * upstream); LFS objects are, through `mirrorLfsRoute`.
 */
export async function mirrorGitRoute(ctx: Ctx, mirror: MirrorCache, ref: RepoRef, rest: string): Promise<void> {
  ctx.errorFlavor = 'git';
  const service = rest === 'info/refs' ? ctx.url.searchParams.get('service') : rest;
  if (service === 'git-receive-pack') throw new HubError('Forbidden', 'This repository is mirrored from upstream and is read-only here');
  const ok = (rest === 'info/refs' && ctx.method === 'GET' && service === 'git-upload-pack') || (rest === 'git-upload-pack' && ctx.method === 'POST');
  if (!ok) throw new HubError('NotFound', 'Not found');
  await mirror.repo(ref);
  const headers: Record<string, string> = {};
  for (const h of GIT_HEADERS) {
    const v = ctx.req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const res = await mirror.upstream.request(`${mirror.repoPath(ref)}.git/${rest}${ctx.url.search}`, {
    method: ctx.method,
    headers,
    body: ctx.method === 'POST' ? (Readable.toWeb(ctx.req) as ReadableStream<Uint8Array>) : undefined,
  });
  const out: Record<string, string> = {};
  for (const h of ['content-type', 'cache-control', 'expires', 'pragma']) {
    const v = res.headers.get(h);
    if (v) out[h] = v;
  }
  ctx.res.writeHead(res.status, out);
  if (!res.body) return void ctx.res.end();
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), ctx.res);
  } catch {
    ctx.res.destroy();
  }
}

interface BatchObject {
  oid: string;
  size: number;
}

/**
 * git-lfs for an upstream repo: the batch API answers downloads with links to
 * this hub, whose objects are filled from upstream through the cache like any
 * resolved file (one transfer, verified before it is kept).
 */
export async function mirrorLfsRoute(ctx: Ctx, mirror: MirrorCache, ref: RepoRef, rest: string, repoUrl: string): Promise<void> {
  ctx.errorFlavor = 'lfs';
  if (rest === 'objects/batch' && ctx.method === 'POST') {
    const body = (await readJson(ctx.req, ctx.hub.limits.maxJsonBodyBytes)) as { operation?: unknown; objects?: unknown };
    if (body.operation !== 'download') throw new HubError('Forbidden', 'This repository is mirrored from upstream and is read-only here');
    const objects = Array.isArray(body.objects) ? (body.objects as BatchObject[]) : undefined;
    if (!objects || !objects.every((o) => typeof o?.oid === 'string' && /^[0-9a-f]{64}$/.test(o.oid) && Number.isSafeInteger(o.size) && o.size >= 0)) {
      throw new HubError('UnprocessableEntity', '"objects" must be a list of {oid: sha256 hex, size}');
    }
    const known = await mirror.lfsBatch(ref, objects);
    const out = objects.map((o) => {
      const found = known.get(o.oid);
      if (!found) return { oid: o.oid, size: o.size, error: { code: 404, message: 'Object does not exist upstream' } };
      return { oid: o.oid, size: found.size, authenticated: true, actions: { download: { href: `${repoUrl}.git/info/lfs/objects/${o.oid}?size=${found.size}`, expires_in: 3600 } } };
    });
    sendJson(ctx, 200, { transfer: 'basic', objects: out, hash_algo: 'sha256' }, { 'Content-Type': 'application/vnd.git-lfs+json' });
    return;
  }
  const m = /^objects\/([0-9a-f]{64})$/.exec(rest);
  if (m && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
    const oid = m[1]!;
    const size = Number(ctx.url.searchParams.get('size'));
    if (!Number.isSafeInteger(size) || size < 0) throw new HubError('BadRequest', 'Missing or invalid size');
    await mirror.repo(ref);
    await serveFile(ctx, {
      size,
      etag: `"${oid}"`,
      path: oid,
      headers: {},
      open: () => {
        throw new HubError('Internal', 'mirrored objects are read through openReader');
      },
      openReader: () => mirror.openLfsObject(ref, oid, size),
    });
    return;
  }
  throw new HubError('NotFound', 'Not found');
}
