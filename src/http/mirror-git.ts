import path from 'node:path';
import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import type { MirrorCache } from '../mirror/cache-service.js';
import { readJson } from './body.js';
import type { Ctx } from './context.js';
import { sendJson } from './respond.js';
import { runHttpBackend } from './git.js';
import { serveFile } from './serve-file.js';

/**
 * git smart HTTP (fetch only) for an upstream repo, served from the mirror's bare copy of it
 * (`GitCache`): refreshed from upstream when a client asks for the refs and the copy is older than
 * the revalidation period, served as last fetched when upstream is down or the hub is offline. LFS
 * objects go through the object cache (`mirrorLfsRoute`).
 */
export async function mirrorGitRoute(ctx: Ctx, mirror: MirrorCache, ref: RepoRef, rest: string): Promise<void> {
  ctx.errorFlavor = 'git';
  const service = rest === 'info/refs' ? ctx.url.searchParams.get('service') : rest;
  if (service === 'git-receive-pack') throw new HubError('Forbidden', 'This repository is mirrored from upstream and is read-only here');
  const ok = (rest === 'info/refs' && ctx.method === 'GET' && service === 'git-upload-pack') || (rest === 'git-upload-pack' && ctx.method === 'POST');
  if (!ok) throw new HubError('NotFound', 'Not found');
  // Allow/deny, private and gated upstream repos: refused here exactly as for files.
  await mirror.repo(ref);
  const dir = await mirror.git.ensure(ref, mirror.repoPath(ref), rest === 'info/refs');
  await runHttpBackend(ctx, {
    GIT_PROJECT_ROOT: path.dirname(dir),
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: `/${path.basename(dir)}/${rest}`,
    REQUEST_METHOD: ctx.method,
    QUERY_STRING: ctx.url.search.slice(1),
    CONTENT_TYPE: String(ctx.req.headers['content-type'] ?? ''),
    REMOTE_USER: 'anonymous',
    REMOTE_ADDR: ctx.req.socket.remoteAddress ?? '',
  });
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
    // Objects of this repo already in the cache need no upstream (and work offline).
    const cached = await mirror.cachedLfsObjects(ref, objects);
    const rest = objects.filter((o) => !cached.has(o.oid));
    const known = rest.length ? await mirror.lfsBatch(ref, rest) : new Map<string, { size: number }>();
    await mirror.rememberLfsObjects(ref, [...known].map(([oid, k]) => ({ oid, size: k.size })));
    for (const o of objects) if (cached.has(o.oid)) known.set(o.oid, { size: o.size });
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
