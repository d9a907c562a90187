import { Readable } from 'node:stream';
import { HubError } from '../core/errors.js';
import { validateRepoPath } from '../core/paths.js';
import type { RepoRef } from '../core/repo-id.js';
import { spawnGit } from '../repo/git.js';
import { gitRepoFor } from '../services/hub.js';
import { getRepo } from '../services/repos.js';
import { resolveRevision } from '../services/revisions.js';
import { lookupPath } from '../services/tree-index.js';
import { countFileDownload } from './api/social.js';
import type { Ctx } from './context.js';
import { serveFile, sliceStream } from './serve-file.js';

/**
 * `HEAD|GET /{P}{repo}/resolve/{rev}/{path}` and `…/raw/…` (spec 2).
 * `X-Repo-Commit` goes on every answer once the revision is known, including
 * EntryNotFound, so that PY can cache the absence (spec 0.1, 2.8).
 */
export async function resolveRoute(ctx: Ctx, ref: RepoRef, revision: string, filePath: string, raw: boolean): Promise<void> {
  const repo = await getRepo(ctx.hub, await ctx.actor(), ref, 'content');
  const rev = await resolveRevision(ctx.hub, repo, revision);
  const commitHeader = { 'X-Repo-Commit': rev.commit };
  try {
    validateRepoPath(filePath);
  } catch (err) {
    if (err instanceof HubError) throw new HubError(err.code, err.message, { headers: commitHeader });
    throw err;
  }
  const entry = await lookupPath(ctx.hub, repo.id, rev.tree, filePath);
  if (!entry || entry.kind !== 'blob') {
    throw new HubError('EntryNotFound', `Entry not found: ${filePath} does not exist at revision ${revision}`, { headers: commitHeader });
  }
  // Download counts (docs/social.md): written beside the response, never before it.
  if (!raw) countFileDownload(ctx, repo, entry.lfs ? `"${entry.lfs.oid}"` : `"${entry.oid}"`);

  if (entry.lfs && !raw) {
    const lfs = entry.lfs;
    const linked = { ...commitHeader, 'X-Linked-Etag': `"${lfs.oid}"`, 'X-Linked-Size': String(lfs.size) };
    // Not for empty files: storage answers `Range: bytes=0-0` on them with 416, which JS
    // cannot read a size from; `serveFile` answers `*/0` instead (spec 2.4).
    const presigned = lfs.size > 0 ? await ctx.hub.blobs.presignedGetUrl?.(lfs.oid, { expiresInSeconds: ctx.hub.limits.signedUrlTtlSeconds, filename: filePath }) : undefined;
    if (presigned) {
      // Absolute, so that PY reads the metadata from this response (spec 0.3, 2.3 A).
      ctx.res.writeHead(302, { ...linked, Location: presigned, ETag: `"${lfs.oid}"`, 'Content-Length': '0' });
      ctx.res.end();
      return;
    }
    const stat = await ctx.hub.blobs.stat(lfs.oid);
    if (!stat) throw new HubError('EntryNotFound', `The LFS object of ${filePath} is missing from storage`, { headers: commitHeader });
    await serveFile(ctx, {
      size: lfs.size,
      etag: `"${lfs.oid}"`,
      path: filePath,
      headers: linked,
      open: (range) => ctx.hub.blobs.read(lfs.oid, range),
      openReader: ctx.hub.blobs.openReader ? () => ctx.hub.blobs.openReader!(lfs.oid) : undefined,
    });
    return;
  }

  const gitDir = gitRepoFor(ctx.hub, repo.id).gitDir;
  await serveFile(ctx, {
    size: entry.lfs && raw ? entry.lfs.pointerSize : entry.size,
    etag: `"${entry.oid}"`,
    path: filePath,
    headers: commitHeader,
    open: async (range) => {
      const child = spawnGit(gitDir, ['cat-file', 'blob', entry.oid]);
      child.stdin!.end();
      child.stderr!.resume();
      const out = child.stdout! as Readable;
      return range ? Readable.from(sliceStream(out, range)) : out;
    },
  });
}
