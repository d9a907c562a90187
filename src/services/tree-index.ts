import type { Hub } from './hub.js';

/** An entry of an indexed git tree, with its full path. */
export interface IndexedEntry {
  path: string;
  kind: 'blob' | 'tree' | 'commit';
  mode: string;
  oid: string;
  /** The real size: the LFS object's size for LFS files, 0 for folders. */
  size: number;
  lfs?: { oid: string; size: number; pointerSize: number };
}

/** git orders tree entries bytewise, folders as if their name ended with '/'. */
function gitOrder(a: { entry_name: string; kind: string }, b: { entry_name: string; kind: string }): number {
  const ka = Buffer.from(a.kind === 'tree' ? `${a.entry_name}/` : a.entry_name);
  const kb = Buffer.from(b.kind === 'tree' ? `${b.entry_name}/` : b.entry_name);
  return Buffer.compare(ka, kb);
}

function toEntry(prefix: string, r: { entry_name: string; kind: string; mode: string; oid: string; size: number; lfs_oid: string | null; lfs_size: number | null }): IndexedEntry {
  const path = prefix ? `${prefix}/${r.entry_name}` : r.entry_name;
  const kind = r.kind as IndexedEntry['kind'];
  if (r.lfs_oid && r.lfs_size !== null) {
    return { path, kind, mode: r.mode, oid: r.oid, size: Number(r.lfs_size), lfs: { oid: r.lfs_oid, size: Number(r.lfs_size), pointerSize: Number(r.size) } };
  }
  return { path, kind, mode: r.mode, oid: r.oid, size: kind === 'blob' ? Number(r.size) : 0 };
}

/** The entries of one tree, in git order. */
export async function listTree(hub: Hub, repoId: string, treeOid: string, prefix = ''): Promise<IndexedEntry[]> {
  const rows = await hub.db
    .selectFrom('tree_entries')
    .select(['entry_name', 'kind', 'mode', 'oid', 'size', 'lfs_oid', 'lfs_size'])
    .where('repo_id', '=', repoId)
    .where('tree_oid', '=', treeOid)
    .execute();
  rows.sort(gitOrder);
  return rows.map((r) => toEntry(prefix, r));
}

/** Looks a path up from a root tree; '' is the root itself. */
export async function lookupPath(hub: Hub, repoId: string, rootTree: string, path: string): Promise<IndexedEntry | undefined> {
  if (path === '') return { path: '', kind: 'tree', mode: '040000', oid: rootTree, size: 0 };
  const segments = path.split('/');
  let tree = rootTree;
  let prefix = '';
  for (let i = 0; i < segments.length; i++) {
    const name = segments[i]!;
    const row = await hub.db
      .selectFrom('tree_entries')
      .select(['entry_name', 'kind', 'mode', 'oid', 'size', 'lfs_oid', 'lfs_size'])
      .where('repo_id', '=', repoId)
      .where('tree_oid', '=', tree)
      .where('entry_name', '=', name)
      .executeTakeFirst();
    if (!row) return undefined;
    const entry = toEntry(prefix, row);
    if (i === segments.length - 1) return entry;
    if (entry.kind !== 'tree') return undefined;
    tree = entry.oid;
    prefix = entry.path;
  }
  return undefined;
}

/** Every entry below a tree, folders before their contents, in git order. */
export async function* walkTree(hub: Hub, repoId: string, treeOid: string, prefix: string, recursive: boolean): AsyncGenerator<IndexedEntry> {
  for (const entry of await listTree(hub, repoId, treeOid, prefix)) {
    yield entry;
    if (recursive && entry.kind === 'tree') yield* walkTree(hub, repoId, entry.oid, entry.path, true);
  }
}

/** All files (blobs) below a tree, recursively. */
export async function listFiles(hub: Hub, repoId: string, treeOid: string, prefix = ''): Promise<IndexedEntry[]> {
  const files: IndexedEntry[] = [];
  for await (const e of walkTree(hub, repoId, treeOid, prefix, true)) if (e.kind === 'blob') files.push(e);
  return files;
}

/** Does this repo reference the LFS object in any indexed tree, or was it uploaded to it? */
export async function repoHasLfsObject(hub: Hub, repoId: string, oid: string): Promise<boolean> {
  const viaTree = await hub.db
    .selectFrom('tree_entries')
    .select('oid')
    .where('repo_id', '=', repoId)
    .where('lfs_oid', '=', oid)
    .limit(1)
    .executeTakeFirst();
  if (viaTree) return true;
  const viaUpload = await hub.db
    .selectFrom('lfs_uploads')
    .select('oid')
    .where('repo_id', '=', repoId)
    .where('oid', '=', oid)
    .executeTakeFirst();
  return viaUpload !== undefined;
}
