import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { HubError } from '../core/errors.js';
import { makeRepoRef, type RepoRef, repoFullName } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import type { Hub } from '../services/hub.js';
import { namespaceTaken } from '../services/orgs.js';
import { findRepo, type RepoRow } from '../services/repos.js';
import { extractTar } from './bundle-tar.js';
import { verifyBundle, type VerifiedRepo } from './bundle-verify.js';
import { gitCall, refsUnder } from './replicate-git.js';
import { adoptRepos, type NewRepo, prepareGitDir } from './replicate-local.js';
import { lfsPointersIn } from './replicate-pointers.js';

export interface ImportOptions {
  /** put every repo of the bundle in this namespace instead of its own */
  namespace?: string | undefined;
  /** the manifest's sha256 as `orchard export` printed it, checked before anything else */
  expectSha256?: string | undefined;
}

export interface ImportResult {
  repos: RepoRow[];
  manifestSha256: string;
  lfsAdded: number;
}

function refused(message: string): HubError {
  return new HubError('UnprocessableEntity', `This bundle is refused: ${message}`);
}

/**
 * `orchard import`: all or nothing.
 *
 * 1. The tar is extracted into a fresh folder under the data folder's temp
 *    space, refusing unsafe paths and anything but files (bundle-tar.ts).
 * 2. Everything is verified against the manifest (bundle-verify.ts).
 * 3. Names are checked: a repo that exists here already refuses the import
 *    (or `--namespace` places the bundle's repos elsewhere).
 * 4. Each repo is assembled in a temp bare repository: `git bundle verify`,
 *    then a fetch of its branches and tags, which must be exactly those of
 *    its repo.json; every LFS pointer of its history must be in the bundle.
 *    Its LFS objects then go into the blob store (which checks them again).
 * 5. One transaction creates every repo (replicate-local.ts `adoptRepos`).
 *
 * A failure at any step removes what the earlier steps added: the temp
 * folders, and the LFS objects this import stored that no repo references.
 */
export async function importBundle(hub: Hub, file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const work = path.join(hub.tmpDir, `import-${randomUUID()}`);
  const extractDir = path.join(work, 'files');
  await mkdir(extractDir, { recursive: true });
  const added: string[] = [];
  const repos: NewRepo[] = [];
  try {
    const extracted = await extractTar(file, extractDir);
    const bundle = await verifyBundle(extractDir, extracted, opts.expectSha256);
    const targets = await checkNames(hub, bundle.repos, opts.namespace);
    for (let i = 0; i < bundle.repos.length; i++) {
      repos.push(await assemble(hub, extractDir, bundle.repos[i]!, targets[i]!, bundle.manifest.exportedFrom, added));
    }
    const created = await adoptRepos(hub, repos);
    return { repos: created, manifestSha256: bundle.manifestSha256, lfsAdded: added.length };
  } catch (err) {
    await dropUnreferenced(hub, added);
    throw err;
  } finally {
    // Assembled repositories that were not adopted (adopted ones were moved away).
    for (const r of repos) await rm(r.gitDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

async function checkNames(hub: Hub, repos: VerifiedRepo[], namespace: string | undefined): Promise<RepoRef[]> {
  const targets = repos.map(({ meta }) => makeRepoRef(meta.type, namespace ?? meta.namespace, meta.name));
  const keys = targets.map((t) => `${t.type}:${repoFullName(t).toLowerCase()}`);
  if (new Set(keys).size !== keys.length) throw refused('it holds two repos with the same name');
  for (const ns of new Set(targets.map((t) => t.namespace))) {
    if (!(await namespaceTaken(hub.db, ns))) throw new HubError('NotFound', `There is no user or organization named ${ns} here: create it first, or import into another with --namespace`);
  }
  const taken: string[] = [];
  for (const t of targets) if (await findRepo(hub, t)) taken.push(`${t.type} ${repoFullName(t)}`);
  if (taken.length) {
    throw new HubError('Conflict', `These repos already exist here: ${taken.join(', ')}. Nothing was imported; import into another namespace with --namespace NS, or rename or delete the local repos first`);
  }
  return targets;
}

/** Rebuilds one repo from its git bundle in a temp bare repository and stores its LFS objects. */
async function assemble(hub: Hub, dir: string, repo: VerifiedRepo, target: RepoRef, exportedFrom: string | null, added: string[]): Promise<NewRepo> {
  const { meta } = repo;
  const git = await prepareGitDir(hub, 'import');
  const bundleFile = path.resolve(dir, repo.dir, 'repo.bundle');
  try {
    // `bundle verify` checks the header and prerequisites; the fetch (index-pack) checks every object.
    try {
      await gitCall(git.gitDir, ['bundle', 'verify', '--quiet', bundleFile]);
      await gitCall(git.gitDir, ['fetch', '--quiet', '--no-write-fetch-head', '--', bundleFile, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
    } catch (err) {
      throw refused(`the git bundle of ${meta.namespace}/${meta.name} is not intact: ${(err as Error).message}`);
    }
    const refs = await refsUnder(git.gitDir, ['refs/heads/', 'refs/tags/']);
    const expected = new Map(Object.entries(meta.refs));
    if (refs.size !== expected.size || [...refs].some(([n, o]) => expected.get(n) !== o)) throw refused(`the git bundle of ${meta.namespace}/${meta.name} does not hold the refs its repo.json lists`);
    if (!refs.has(`refs/heads/${meta.defaultBranch}`)) throw refused(`${meta.namespace}/${meta.name} has no branch ${meta.defaultBranch}, its default`);
    if (meta.defaultBranch !== 'main') await gitCall(git.gitDir, ['symbolic-ref', 'HEAD', `refs/heads/${meta.defaultBranch}`]);
    const listed = new Map(meta.lfs.map((o) => [o.oid, o.size]));
    for (const p of await lfsPointersIn(git.gitDir, [...new Set(refs.values())])) {
      if (listed.get(p.oid) !== p.size) throw refused(`${meta.namespace}/${meta.name} points to LFS object ${p.oid} (${p.size} bytes), which the bundle does not hold`);
    }
    for (const [oid, size] of listed) {
      const stat = await hub.blobs.stat(oid);
      if (stat && stat.size === size) continue;
      await hub.blobs.put(oid, size, createReadStream(path.join(dir, 'lfs', oid), { highWaterMark: 1024 * 1024 }));
      added.push(oid);
    }
    const now = nowIso();
    return {
      ref: target, private: meta.private, gated: meta.gated, defaultBranch: meta.defaultBranch, mirrorOf: null, gitDir: git.gitDir,
      links: [{
        id: randomUUID(), direction: 'import', url: exportedFrom ?? 'bundle:', remote_type: meta.type, remote_repo: `${meta.namespace}/${meta.name}`,
        remote_id: meta.source?.id || null, token: null, token_env: null, interval_seconds: null, next_run_at: null, claimed_until: null, claimed_by: null,
        last_sync_at: now, last_status: 'ok', last_error: null, refs: JSON.stringify(meta.refs), created_at: now,
      }],
    };
  } catch (err) {
    await rm(git.gitDir, { recursive: true, force: true });
    throw err;
  }
}

/** Deletes LFS objects this import stored, unless a repo references them meanwhile (another upload of the same bytes). */
async function dropUnreferenced(hub: Hub, oids: string[]): Promise<void> {
  for (const oid of oids) {
    const inTree = await hub.db.selectFrom('tree_entries').select('repo_id').where('lfs_oid', '=', oid).limit(1).executeTakeFirst();
    const uploaded = await hub.db.selectFrom('lfs_uploads').select('repo_id').where('oid', '=', oid).limit(1).executeTakeFirst();
    if (!inTree && !uploaded) await hub.blobs.delete(oid).catch(() => undefined);
  }
}
