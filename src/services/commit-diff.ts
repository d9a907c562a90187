import { CatFile } from '../repo/cat-file.js';
import { patchSections, type RawChange, rawChanges } from '../repo/diff.js';
import { ZERO_OID } from '../repo/git-repo.js';
import { type LfsPointer, MAX_POINTER_SIZE, parsePointer } from '../repo/lfs-pointer.js';
import type { CommitSummary } from './history.js';
import { gitRepoFor, type Hub } from './hub.js';
import type { RepoRow } from './repos.js';
import { resolveRevision, revisionNotFound } from './revisions.js';

/** Bounds on what one commit page reads from git (the page says when they cut). */
export const DIFF_LIMITS = { maxFiles: 1000, maxPatchBytes: 2 * 1024 * 1024, maxLinesPerFile: 2000 };

export interface DiffLine {
  kind: 'hunk' | 'add' | 'del' | 'ctx' | 'note';
  text: string;
  oldLine?: number;
  newLine?: number;
}

export interface FileChange {
  status: 'added' | 'deleted' | 'modified' | 'renamed' | 'copied' | 'type changed';
  path: string;
  oldPath: string | undefined;
  similarity: number | undefined;
  oldMode: string;
  newMode: string;
  /** What the page can show: text hunks, a note for binaries, or the LFS objects on each side. */
  kind: 'text' | 'binary' | 'lfs' | 'submodule' | 'omitted';
  /** Either side that is an LFS pointer; the other side may be a regular file or absent. */
  lfs: { old: LfsPointer | undefined; new: LfsPointer | undefined } | undefined;
  lines: DiffLine[];
  additions: number;
  deletions: number;
  /** This file's diff was cut by the per-file or the per-commit cap. */
  truncated: boolean;
}

export interface CommitDetail {
  commit: CommitSummary;
  /** What the diff compares against: the first parent (none for a root commit). */
  base: string | undefined;
  files: FileChange[];
  /** More files changed than the page lists. */
  moreFiles: boolean;
  /** The patch output hit the byte cap: later files show no hunks. */
  patchTruncated: boolean;
}

const STATUS: Record<RawChange['status'], FileChange['status']> = { A: 'added', D: 'deleted', M: 'modified', R: 'renamed', C: 'copied', T: 'type changed' };

/** A commit's metadata (from the index) and its per-file diff against its first parent (from git). */
export async function commitDetail(hub: Hub, repo: RepoRow, rev: string): Promise<CommitDetail> {
  const { commit: oid } = await resolveRevision(hub, repo, rev);
  const row = await hub.db.selectFrom('commits').selectAll().where('repo_id', '=', repo.id).where('oid', '=', oid).executeTakeFirst();
  if (!row) throw revisionNotFound(rev);
  const commit: CommitSummary = {
    id: row.oid, title: row.title, message: row.message, date: row.date, authorName: row.author_name, authorEmail: row.author_email, parents: JSON.parse(row.parents) as string[],
  };
  const base = commit.parents[0];
  return { commit, base, ...(await treeDiff(hub, repo, base, oid, DIFF_LIMITS)) };
}

/** The per-file diff between two commits (`base` undefined: against nothing), within the given caps. */
export async function treeDiff(
  hub: Hub,
  repo: RepoRow,
  base: string | undefined,
  head: string,
  limits: { maxFiles: number; maxPatchBytes: number; maxLinesPerFile: number },
): Promise<{ files: FileChange[]; moreFiles: boolean; patchTruncated: boolean }> {
  const gitDir = gitRepoFor(hub, repo.id).gitDir;
  const [raw, patch] = await Promise.all([
    rawChanges(gitDir, base, head, limits.maxFiles),
    patchSections(gitDir, base, head, { maxBytes: limits.maxPatchBytes, maxLinesPerFile: limits.maxLinesPerFile }),
  ]);
  const pointers = await lfsPointers(gitDir, raw.changes);
  const files: FileChange[] = [];
  let section = 0;
  for (const c of raw.changes) {
    const needed = c.status === 'T' ? 2 : 1;
    const own = patch.sections.slice(section, section + needed);
    section += needed;
    files.push(fileChange(c, own, pointers, patch.truncated && own.length < needed));
  }
  return { files, moreFiles: raw.truncated, patchTruncated: patch.truncated };
}

function fileChange(c: RawChange, sections: { lines: string[]; truncated: boolean }[], pointers: Map<string, LfsPointer>, cut: boolean): FileChange {
  const old = c.oldOid !== ZERO_OID ? pointers.get(c.oldOid) : undefined;
  const neu = c.newOid !== ZERO_OID ? pointers.get(c.newOid) : undefined;
  const change: FileChange = {
    status: STATUS[c.status], path: c.path, oldPath: c.oldPath, similarity: c.score, oldMode: c.oldMode, newMode: c.newMode,
    kind: 'text', lfs: undefined, lines: [], additions: 0, deletions: 0, truncated: sections.some((s) => s.truncated),
  };
  if (old || neu) {
    // The pointer text would diff as three lines of hashes; the objects are what changed.
    change.kind = 'lfs';
    change.lfs = { old, new: neu };
    change.truncated = false;
  } else if (c.oldMode === '160000' || c.newMode === '160000') change.kind = 'submodule';
  // Hunk lines start with ' ', '+', '-' or '\\', so only git's own header can start like this.
  else if (sections.some((s) => s.lines.some((l) => l.startsWith('Binary files ')))) change.kind = 'binary';
  else if (sections.length === 0 && cut) change.kind = 'omitted';
  else for (const s of sections) parseHunks(s.lines, change);
  return change;
}

/** Hunk lines with their line numbers, counting additions and deletions. */
function parseHunks(lines: string[], into: FileChange): void {
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  for (const text of lines) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) {
      inHunk = true;
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      into.lines.push({ kind: 'hunk', text });
    } else if (!inHunk) continue;
    else if (text.startsWith('+')) {
      into.lines.push({ kind: 'add', text, newLine: newLine++ });
      into.additions++;
    } else if (text.startsWith('-')) {
      into.lines.push({ kind: 'del', text, oldLine: oldLine++ });
      into.deletions++;
    } else if (text.startsWith('\\')) into.lines.push({ kind: 'note', text });
    else into.lines.push({ kind: 'ctx', text, oldLine: oldLine++, newLine: newLine++ });
  }
}

/** Which of the changed blobs are LFS pointers: only blobs small enough to be one are read. */
async function lfsPointers(gitDir: string, changes: RawChange[]): Promise<Map<string, LfsPointer>> {
  const oids = new Set<string>();
  for (const c of changes) {
    if (/^100/.test(c.oldMode) && c.oldOid !== ZERO_OID) oids.add(c.oldOid);
    if (/^100/.test(c.newMode) && c.newOid !== ZERO_OID) oids.add(c.newOid);
  }
  const found = new Map<string, LfsPointer>();
  if (oids.size === 0) return found;
  const cat = new CatFile(gitDir);
  try {
    for (const oid of oids) {
      const info = await cat.info(oid);
      if (!info || info.type !== 'blob' || info.size > MAX_POINTER_SIZE) continue;
      const blob = await cat.contents(oid);
      const pointer = blob && parsePointer(blob.content);
      if (pointer) found.set(oid, pointer);
    }
  } finally {
    cat.close();
  }
  return found;
}
