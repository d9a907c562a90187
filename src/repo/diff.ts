import { HubError } from '../core/errors.js';
import { SHA1_RE } from '../core/revision.js';
import { spawnGit } from './git.js';

/** One changed path as `git diff-tree --raw` reports it. */
export interface RawChange {
  /** A added, D deleted, M modified, R renamed, C copied, T type changed (file ↔ symlink ↔ submodule). */
  status: 'A' | 'D' | 'M' | 'R' | 'C' | 'T';
  /** Similarity of a rename or copy, in percent. */
  score: number | undefined;
  oldMode: string;
  newMode: string;
  oldOid: string;
  newOid: string;
  path: string;
  /** The source path of a rename or copy. */
  oldPath: string | undefined;
}

/** The patch text of one file pair, split off git's `-p` output. */
export interface PatchSection {
  /** Extended headers and hunks, without the `diff --git` line. */
  lines: string[];
  /** The per-file line cap cut this section. */
  truncated: boolean;
}

/**
 * Flags shared by both reads so that they see the same pairs in the same
 * order: -M finds renames; no external diff drivers or textconv filters, which
 * a repo's own attributes could otherwise name.
 */
function diffArgs(base: string | undefined, commit: string, format: string[]): string[] {
  for (const oid of base ? [base, commit] : [commit]) {
    if (!SHA1_RE.test(oid)) throw new HubError('Internal', 'diff expects commit oids');
  }
  const common = ['diff-tree', '-r', '--no-commit-id', '--find-renames', '--no-ext-diff', '--no-textconv', ...format];
  return base ? [...common, base, commit] : [...common, '--root', commit];
}

/**
 * Runs git and keeps at most `maxBytes` of its output, killing it once that
 * much has arrived: a huge commit costs the page a bounded read, not memory.
 */
export async function readCapped(gitDir: string, args: string[], maxBytes: number): Promise<{ out: Buffer; truncated: boolean }> {
  const child = spawnGit(gitDir, args);
  child.stdin!.end();
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  // Awaited below; until then a spawn failure must not count as unhandled.
  exited.catch(() => undefined);
  const chunks: Buffer[] = [];
  let n = 0;
  let truncated = false;
  for await (const chunk of child.stdout!) {
    chunks.push(chunk as Buffer);
    n += (chunk as Buffer).length;
    if (n > maxBytes) {
      truncated = true;
      child.kill();
      break;
    }
  }
  const code = await exited;
  if (!truncated && code !== 0) throw new HubError('Internal', `git diff-tree failed (${code}): ${Buffer.concat(stderr).toString('utf8').trim().slice(0, 300)}`);
  return { out: Buffer.concat(chunks).subarray(0, maxBytes), truncated };
}

/**
 * The changed paths between `base` (the first parent; none for a root
 * commit) and `commit`, NUL-separated so that any file name is safe.
 */
export async function rawChanges(gitDir: string, base: string | undefined, commit: string, maxFiles: number): Promise<{ changes: RawChange[]; truncated: boolean }> {
  // A raw record is ~100 bytes plus its paths; 4 KiB per file is a generous bound.
  const { out, truncated } = await readCapped(gitDir, diffArgs(base, commit, ['--raw', '-z']), maxFiles * 4096);
  const fields = out.toString('utf8').split('\0');
  const changes: RawChange[] = [];
  let i = 0;
  while (i < fields.length && changes.length < maxFiles) {
    const meta = /^:(\d{6}) (\d{6}) ([0-9a-f]{40}) ([0-9a-f]{40}) ([ADMRCT])(\d*)$/.exec(fields[i]!);
    if (!meta) break;
    const status = meta[5] as RawChange['status'];
    const twoPaths = status === 'R' || status === 'C';
    const [first, second] = [fields[i + 1], fields[i + 2]];
    if (first === undefined || (twoPaths && second === undefined)) break;
    // With the output cut short, the last record's path may be cut too.
    if (truncated && i + (twoPaths ? 3 : 2) >= fields.length) break;
    changes.push({
      status,
      score: meta[6] ? Number(meta[6]) : undefined,
      oldMode: meta[1]!,
      newMode: meta[2]!,
      oldOid: meta[3]!,
      newOid: meta[4]!,
      path: twoPaths ? second! : first,
      oldPath: twoPaths ? first : undefined,
    });
    i += twoPaths ? 3 : 2;
  }
  return { changes, truncated: truncated || i < fields.length - 1 };
}

/**
 * The patch of the same pairs as `rawChanges`, one section per `diff --git`
 * header, in the same order. git splits a type change (file ↔ symlink) into
 * a deletion and a creation, so a `T` pair owns two sections.
 */
export async function patchSections(gitDir: string, base: string | undefined, commit: string, opts: { maxBytes: number; maxLinesPerFile: number }): Promise<{ sections: PatchSection[]; truncated: boolean }> {
  const { out, truncated } = await readCapped(gitDir, diffArgs(base, commit, ['-p', '--no-color']), opts.maxBytes);
  const lines = out.toString('utf8').split('\n');
  // The last line is either empty (output ended with '\n') or cut by the cap.
  lines.pop();
  const sections: PatchSection[] = [];
  let current: PatchSection | undefined;
  for (const line of lines) {
    if (line.startsWith('diff --git ')) {
      current = { lines: [], truncated: false };
      sections.push(current);
    } else if (current && !current.truncated) {
      if (current.lines.length >= opts.maxLinesPerFile) current.truncated = true;
      else current.lines.push(line);
    }
  }
  if (truncated && current) current.truncated = true;
  return { sections, truncated };
}
