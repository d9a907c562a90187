import ignore from 'ignore';
import { HubError } from '../core/errors.js';
import { validateRepoPath } from '../core/paths.js';
import { LfsAttributes } from '../repo/gitattributes.js';
import { runGit } from '../repo/git.js';
import { gitRepoFor, type Hub } from './hub.js';
import type { RepoRow } from './repos.js';
import { resolveRevision } from './revisions.js';
import { lookupPath } from './tree-index.js';

export interface PreuploadFile {
  path: string;
  size: number;
  sample: string;
}

export interface PreuploadResult {
  files: { path: string; uploadMode: 'lfs' | 'regular'; shouldIgnore: boolean; oid?: string }[];
  commitOid: string;
}

/**
 * Tells clients which files go through LFS (spec 6.2, 6.3): those matched by
 * an LFS rule of `.gitattributes` (the one in the request first), those of
 * `lfsThresholdBytes` or more, and binary-looking ones (a NUL in the sample).
 */
export async function preupload(
  hub: Hub,
  repo: RepoRow,
  revision: string,
  body: { files: PreuploadFile[]; gitAttributes?: string | undefined; gitIgnore?: string | undefined },
): Promise<PreuploadResult> {
  const rev = await resolveRevision(hub, repo, revision);
  const attributes = new LfsAttributes(body.gitAttributes ?? (await readSmallFile(hub, repo, rev.tree, '.gitattributes')));
  const ignoreText = body.gitIgnore ?? (await readSmallFile(hub, repo, rev.tree, '.gitignore'));
  const ignorer = ignoreText ? ignore().add(ignoreText) : undefined;
  const files = [];
  for (const f of body.files) {
    const path = validateRepoPath(f.path);
    const sample = Buffer.from(f.sample ?? '', 'base64');
    const lfs = attributes.isLfs(path) || f.size >= hub.limits.lfsThresholdBytes || sample.includes(0);
    let shouldIgnore = false;
    try {
      shouldIgnore = ignorer?.ignores(path) ?? false;
    } catch {
      shouldIgnore = false;
    }
    const existing = await lookupPath(hub, repo.id, rev.tree, path);
    const oid = existing?.kind === 'blob' ? (existing.lfs?.oid ?? existing.oid) : undefined;
    files.push({ path, uploadMode: lfs ? ('lfs' as const) : ('regular' as const), shouldIgnore, ...(oid ? { oid } : {}) });
  }
  return { files, commitOid: rev.commit };
}

export function parsePreuploadBody(body: unknown): { files: PreuploadFile[]; gitAttributes?: string; gitIgnore?: string } {
  if (typeof body !== 'object' || body === null) throw new HubError('BadRequest', 'Expected a JSON object with "files"');
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.files)) throw new HubError('BadRequest', '"files" must be a list');
  if (b.files.length > 1000) throw new HubError('BadRequest', 'At most 1000 files per preupload call');
  const files = b.files.map((f: unknown, i) => {
    if (typeof f !== 'object' || f === null) throw new HubError('BadRequest', `files[${i}] must be an object`);
    const { path, size, sample } = f as Record<string, unknown>;
    if (typeof path !== 'string') throw new HubError('BadRequest', `files[${i}].path must be a string`);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new HubError('BadRequest', `files[${i}].size must be a non-negative integer`);
    if (sample !== undefined && typeof sample !== 'string') throw new HubError('BadRequest', `files[${i}].sample must be a base64 string`);
    return { path, size, sample: (sample as string | undefined) ?? '' };
  });
  const gitAttributes = typeof b.gitAttributes === 'string' ? b.gitAttributes : undefined;
  const gitIgnore = typeof b.gitIgnore === 'string' ? b.gitIgnore : undefined;
  return { files, ...(gitAttributes !== undefined ? { gitAttributes } : {}), ...(gitIgnore !== undefined ? { gitIgnore } : {}) };
}

/** Reads a small regular file at a tree (for .gitattributes and .gitignore). */
export async function readSmallFile(hub: Hub, repo: RepoRow, tree: string, path: string): Promise<string | undefined> {
  const entry = await lookupPath(hub, repo.id, tree, path);
  if (!entry || entry.kind !== 'blob' || entry.lfs || entry.size > 1024 * 1024) return undefined;
  const { stdout } = await runGit(gitRepoFor(hub, repo.id).gitDir, ['cat-file', 'blob', entry.oid]);
  return stdout.toString('utf8');
}
