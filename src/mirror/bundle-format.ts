import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The bundle format (docs/replication.md), one tar file:
 *
 *   manifest.json            every other file's path, size and sha256
 *   repos/<i>/repo.json      type, name, visibility, gating, default branch, refs, LFS objects, source
 *   repos/<i>/repo.bundle    `git bundle` of every branch and tag
 *   repos/<i>/README.md      the card at the default branch, for people reading the bundle
 *   lfs/<sha256>             every LFS object any commit of any repo points to, once
 *
 * The manifest's own sha256 is printed by `orchard export`, to be compared
 * out of band (`orchard import --expect-sha256`).
 */
export const BUNDLE_FORMAT = 'orchard-bundle';
export const BUNDLE_VERSION = 1;

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  version: number;
  createdAt: string;
  /** the exporting hub's public URL, when it has one configured */
  exportedFrom: string | null;
  /** the folders of the repos, in order: `repos/0`, … */
  repos: string[];
  files: ManifestFile[];
}

export interface RepoJson {
  type: 'model' | 'dataset' | 'space';
  namespace: string;
  name: string;
  private: boolean;
  gated: 'auto' | 'manual' | null;
  defaultBranch: string;
  createdAt: string;
  lastModified: string;
  /** branches and tags as the git bundle holds them (annotated tags name their tag object) */
  refs: Record<string, string>;
  lfs: { oid: string; size: number }[];
  /** `README.md` when the bundle has the card as a file */
  readme: string | null;
  /** where the repo came from: the exporting hub, its id there, and that hub's own source when it was a mirror or an import */
  source: { hub: string | null; repo: string; id: string; mirrorOf: string | null; origin: unknown };
}

/** sha256 and size of a file, streamed. */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export function sha256Of(buf: Buffer | string): string {
  return createHash('sha256').update(buf).digest('hex');
}
