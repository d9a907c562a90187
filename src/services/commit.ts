import { readFile } from 'node:fs/promises';
import type { Actor } from '../auth/actor.js';
import { HubError } from '../core/errors.js';
import { LfsAttributes, literalAttributePattern } from '../repo/gitattributes.js';
import type { TreeChange } from '../repo/git-repo.js';
import { formatPointer } from '../repo/lfs-pointer.js';
import type { CommitPayload } from './commit-payload.js';
import { gitRepoFor, type Hub, repoLocks } from './hub.js';
import { markPending, syncRepo } from './indexer.js';
import type { RepoRow } from './repos.js';
import { resolveBranch } from './revisions.js';
import { readSmallFile } from './preupload.js';
import { checkCommitQuota } from './quotas.js';
import { listFiles, lookupPath, repoHasLfsObject } from './tree-index.js';

const MAX_ATTEMPTS = 8;

export function staleParent(): HubError {
  return new HubError('PreconditionFailed', 'A commit has happened since. Please refresh and try again.');
}

/**
 * Writes one commit on a branch from a parsed payload: all or nothing. The
 * branch moves with a compare-and-swap; when another writer moved it first,
 * a commit without `parentCommit` is rebuilt on the new head, and one with
 * `parentCommit` fails with 412 and writes nothing.
 */
export async function createCommit(hub: Hub, actor: Actor, repo: RepoRow, revision: string, payload: CommitPayload): Promise<{ commitOid: string }> {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated to commit');
  const git = gitRepoFor(hub, repo.id);
  const { header, ops } = payload;
  await checkCommitQuota(hub, repo.namespace, ops.flatMap((o) => (o.kind === 'lfsFile' ? [o.oid] : [])));

  // Blobs first: they are content-addressed and harmless if the commit fails.
  const files = ops.filter((o) => o.kind === 'file');
  const fileOids = await git.hashFiles(files.map((f) => f.tmpFile));
  const blobOf = new Map<string, string>();
  files.forEach((f, i) => blobOf.set(f.path, fileOids[i]!));
  const pointerOids = new Map<string, string>();

  return repoLocks.run(repo.id, async () => {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const base = await resolveBranch(hub, repo, revision);
      if (header.parentCommit && !base.commit.startsWith(header.parentCommit)) throw staleParent();

      const changes = new Map<string, TreeChange>();
      const lfsPaths = new Set<string>();
      let attributesText: string | undefined;
      let attributesTouched = false;
      for (const op of ops) {
        switch (op.kind) {
          case 'file':
            changes.set(op.path, { path: op.path, blob: { oid: blobOf.get(op.path)!, mode: '100644' } });
            lfsPaths.delete(op.path);
            if (op.path === '.gitattributes') {
              attributesText = await readFile(op.tmpFile, 'utf8');
              attributesTouched = true;
            }
            break;
          case 'lfsFile': {
            const size = await checkLfsObject(hub, repo, op.oid, op.size, op.path);
            const key = `${op.oid}:${size}`;
            let pointer = pointerOids.get(key);
            if (!pointer) {
              pointer = await git.hashBuffer(formatPointer({ oid: op.oid, size }));
              pointerOids.set(key, pointer);
            }
            if (op.oldPath && op.oldPath !== op.path) {
              await requireFile(hub, repo, base.tree, op.oldPath, changes);
              changes.set(op.oldPath, { path: op.oldPath });
              lfsPaths.delete(op.oldPath);
            }
            changes.set(op.path, { path: op.path, blob: { oid: pointer, mode: '100644' } });
            lfsPaths.add(op.path);
            break;
          }
          case 'deletedFile':
            await requireFile(hub, repo, base.tree, op.path, changes);
            changes.set(op.path, { path: op.path });
            lfsPaths.delete(op.path);
            break;
          case 'deletedFolder': {
            const folder = await lookupPath(hub, repo.id, base.tree, op.path);
            const prefix = `${op.path}/`;
            const pending = [...changes.values()].filter((c) => c.blob && c.path.startsWith(prefix));
            if ((!folder || folder.kind !== 'tree') && pending.length === 0) {
              throw new HubError('EntryNotFound', `A folder with this name doesn't exist: ${op.path}`);
            }
            if (folder?.kind === 'tree') for (const f of await listFiles(hub, repo.id, folder.oid, folder.path)) changes.set(f.path, { path: f.path });
            for (const c of pending) {
              changes.set(c.path, { path: c.path });
              lfsPaths.delete(c.path);
            }
            break;
          }
        }
      }

      // Keep .gitattributes true: an LFS file that no rule covers gets its own rule (spec 6.3).
      if (lfsPaths.size) {
        if (!attributesTouched) attributesText = await readSmallFile(hub, repo, base.tree, '.gitattributes');
        const attrs = new LfsAttributes(attributesText);
        const missing = [...lfsPaths].filter((p) => !attrs.isLfs(p));
        if (missing.length) {
          let text = attributesText ?? '';
          if (text && !text.endsWith('\n')) text += '\n';
          text += missing.map((p) => `${literalAttributePattern(p)} filter=lfs diff=lfs merge=lfs -text\n`).join('');
          const oid = await git.hashBuffer(text);
          changes.set('.gitattributes', { path: '.gitattributes', blob: { oid, mode: '100644' } });
        }
      }

      await refuseFileFolderClashes(hub, repo, base.tree, changes);
      const tree = await buildTreeChecked(git, base.tree, [...changes.values()]);
      const message = header.description ? `${header.summary}\n\n${header.description}` : header.summary;
      const commitOid = await git.commitTree(tree, [base.commit], message, {
        name: actor.user.name,
        email: actor.user.email ?? `${actor.user.name}@users.noreply.orchard`,
      });
      await markPending(hub, repo.id);
      if (await git.updateRef(base.ref, commitOid, base.commit)) {
        await syncRepo(hub, repo.id);
        return { commitOid };
      }
      await syncRepo(hub, repo.id);
      if (header.parentCommit) throw staleParent();
    }
    throw new HubError('Conflict', 'Too many concurrent commits on this branch; please retry');
  });
}

async function requireFile(hub: Hub, repo: RepoRow, tree: string, path: string, changes: Map<string, TreeChange>): Promise<void> {
  const pending = changes.get(path);
  if (pending) {
    if (pending.blob) return;
    throw new HubError('EntryNotFound', `A file with this name doesn't exist: ${path}`);
  }
  const entry = await lookupPath(hub, repo.id, tree, path);
  if (!entry || entry.kind !== 'blob') throw new HubError('EntryNotFound', `A file with this name doesn't exist: ${path}`);
}

/** Checks that an LFS object was uploaded for this repo; returns its size. */
async function checkLfsObject(hub: Hub, repo: RepoRow, oid: string, size: number | undefined, path: string): Promise<number> {
  const stat = await hub.blobs.stat(oid);
  if (!stat || !(await repoHasLfsObject(hub, repo.id, oid))) {
    throw new HubError('BadRequest', `LFS object ${oid} for ${path} was not uploaded to this repo; upload it through the LFS batch API first`);
  }
  if (size !== undefined && size !== stat.size) {
    throw new HubError('BadRequest', `LFS object ${oid} for ${path} has ${stat.size} bytes, not ${size}`);
  }
  return stat.size;
}

/**
 * git's index would silently replace a file by a folder of the same name (or
 * the reverse); refuse such a commit instead of losing the file.
 */
async function refuseFileFolderClashes(hub: Hub, repo: RepoRow, tree: string, changes: Map<string, TreeChange>): Promise<void> {
  for (const change of changes.values()) {
    if (!change.blob) continue;
    const parts = change.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const pending = changes.get(prefix);
      const existing = pending ? undefined : await lookupPath(hub, repo.id, tree, prefix);
      if (pending?.blob || existing?.kind === 'blob') {
        throw new HubError('BadRequest', `Cannot add ${change.path}: ${prefix} is a file`);
      }
      if (!existing) break;
    }
    const here = await lookupPath(hub, repo.id, tree, change.path);
    if (here?.kind === 'tree') {
      const remaining = (await listFiles(hub, repo.id, here.oid, here.path)).some((f) => changes.get(f.path)?.blob !== undefined || !changes.has(f.path));
      if (remaining) throw new HubError('BadRequest', `Cannot add ${change.path}: a folder with this name exists`);
    }
  }
}

async function buildTreeChecked(git: ReturnType<typeof gitRepoFor>, baseTree: string, changes: TreeChange[]): Promise<string> {
  try {
    return await git.buildTree(baseTree, changes);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/file and as a directory|appears as both|is a directory|cannot add|invalid path/i.test(msg)) {
      throw new HubError('BadRequest', `The commit would put a file and a folder at the same path: ${msg.replace(/^git [^:]+: /, '')}`);
    }
    throw err;
  }
}
