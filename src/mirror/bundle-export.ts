import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HubError } from '../core/errors.js';
import { type RepoRef, repoFullName } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import { runGit } from '../repo/git.js';
import { parsePointer } from '../repo/lfs-pointer.js';
import { gitRepoFor, type Hub } from '../services/hub.js';
import { findRepo, type RepoRow } from '../services/repos.js';
import { lookupPath } from '../services/tree-index.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, hashFile, type Manifest, type ManifestFile, type RepoJson, sha256Of } from './bundle-format.js';
import { type TarSource, writeTar } from './bundle-tar.js';
import { gitCall, refsUnder } from './replicate-git.js';
import { lfsPointersIn } from './replicate-pointers.js';
import { sourceInfo } from './replicate-store.js';

const MAX_README_BYTES = 1024 * 1024;

export interface ExportResult {
  file: string;
  manifestSha256: string;
  repos: number;
  lfsObjects: number;
  bytes: number;
}

/**
 * `orchard export`: writes one bundle file with every branch and tag, the
 * LFS objects of the whole history, and the metadata of each repo. Git
 * bundles and small files are staged in the hub's temp folder; LFS objects
 * stream from the blob store into the tar as it is written. The file appears
 * under its name only once it is complete.
 */
export async function exportBundle(hub: Hub, refs: RepoRef[], out: string, opts: { exportedFrom?: string | undefined } = {}): Promise<ExportResult> {
  if (refs.length === 0) throw new HubError('BadRequest', 'Name at least one repo to export');
  if (await access(out).then(() => true, () => false)) throw new HubError('Conflict', `${out} already exists; choose another file name`);
  const rows: RepoRow[] = [];
  for (const ref of refs) {
    const row = await findRepo(hub, ref);
    if (!row) throw new HubError('RepoNotFound', `No ${ref.type} repo named ${repoFullName(ref)} here`);
    if (rows.some((r) => r.id === row.id)) throw new HubError('BadRequest', `${repoFullName(ref)} is named twice`);
    rows.push(row);
  }
  const work = path.join(hub.tmpDir, `export-${randomUUID()}`);
  await mkdir(work, { recursive: true });
  const partial = `${out}.partial-${randomUUID().slice(0, 8)}`;
  try {
    const files: ManifestFile[] = [];
    const staged = new Map<string, string>();
    const lfs = new Map<string, number>();
    const stage = async (bundlePath: string, file: string): Promise<void> => {
      files.push({ path: bundlePath, ...(await hashFile(file)) });
      staged.set(bundlePath, file);
    };
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const dir = `repos/${i}`;
      const gitDir = gitRepoFor(hub, row.id).gitDir;
      const repoRefs = await refsUnder(gitDir, ['refs/heads/', 'refs/tags/']);
      if (repoRefs.size === 0) throw new HubError('BadRequest', `${repoFullName(row)} has no branch or tag to export`);
      const bundle = path.join(work, `${i}.bundle`);
      await gitCall(gitDir, ['bundle', 'create', '--quiet', bundle, '--branches', '--tags']);
      await stage(`${dir}/repo.bundle`, bundle);
      const pointers = await lfsPointersIn(gitDir, [...new Set(repoRefs.values())]);
      for (const p of pointers) {
        const stat = await hub.blobs.stat(p.oid);
        if (!stat || stat.size !== p.size) throw new HubError('Internal', `${repoFullName(row)} points to LFS object ${p.oid} (${p.size} bytes), which this hub does not hold; the bundle would be incomplete`);
        lfs.set(p.oid, p.size);
      }
      const readme = await readmeOf(hub, row);
      if (readme) {
        const file = path.join(work, `${i}.README.md`);
        await writeFile(file, readme);
        await stage(`${dir}/README.md`, file);
      }
      const origin = await sourceInfo(hub.db, row.id);
      const meta: RepoJson = {
        type: row.type, namespace: row.namespace, name: row.name, private: row.private === 1,
        gated: row.gated === 'auto' || row.gated === 'manual' ? row.gated : null,
        defaultBranch: row.default_branch, createdAt: row.created_at, lastModified: row.last_modified,
        refs: Object.fromEntries(repoRefs), lfs: pointers.map((p) => ({ oid: p.oid, size: p.size })),
        readme: readme ? 'README.md' : null,
        source: { hub: opts.exportedFrom ?? null, repo: repoFullName(row), id: row.id, mirrorOf: row.mirror_of, origin: origin ? { ...origin, error: undefined } : null },
      };
      const metaFile = path.join(work, `${i}.repo.json`);
      await writeFile(metaFile, JSON.stringify(meta, null, 2) + '\n');
      await stage(`${dir}/repo.json`, metaFile);
    }
    // An LFS object's sha256 is its name: the blob store checked it when it was stored.
    for (const [oid, size] of lfs) files.push({ path: `lfs/${oid}`, size, sha256: oid });
    const manifest: Manifest = {
      format: BUNDLE_FORMAT, version: BUNDLE_VERSION, createdAt: nowIso(), exportedFrom: opts.exportedFrom ?? null,
      repos: rows.map((_, i) => `repos/${i}`), files,
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
    const sources: TarSource[] = [
      { path: 'manifest.json', size: manifestBytes.length, open: async () => [manifestBytes] },
      ...files.map((f) => ({
        path: f.path,
        size: f.size,
        open: async (): Promise<AsyncIterable<Uint8Array>> => {
          const file = staged.get(f.path);
          return file ? createReadStream(file, { highWaterMark: 1024 * 1024 }) : hub.blobs.read(f.path.slice('lfs/'.length));
        },
      })),
    ];
    await writeTar(partial, sources);
    await rename(partial, out);
    return { file: out, manifestSha256: sha256Of(manifestBytes), repos: rows.length, lfsObjects: lfs.size, bytes: files.reduce((n, f) => n + f.size, manifestBytes.length) };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The README.md at the head of the default branch, when it is a regular (not LFS) file of at most 1 MiB. */
async function readmeOf(hub: Hub, row: RepoRow): Promise<Buffer | undefined> {
  if (!row.head_sha) return undefined;
  const commit = await hub.db.selectFrom('commits').select('tree_oid').where('repo_id', '=', row.id).where('oid', '=', row.head_sha).executeTakeFirst();
  if (!commit) return undefined;
  const entry = await lookupPath(hub, row.id, commit.tree_oid, 'README.md');
  if (!entry || entry.kind !== 'blob' || entry.lfs || entry.size > MAX_README_BYTES) return undefined;
  const { stdout } = await runGit(gitRepoFor(hub, row.id).gitDir, ['cat-file', 'blob', entry.oid]);
  return parsePointer(stdout) ? undefined : stdout;
}
