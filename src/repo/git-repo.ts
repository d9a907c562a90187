import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HubError } from '../core/errors.js';
import { SHA1_RE } from '../core/revision.js';
import { runGit } from './git.js';

export const ZERO_OID = '0000000000000000000000000000000000000000';

export interface TreeChange {
  path: string;
  /** undefined deletes the path */
  blob?: { oid: string; mode: '100644' | '100755' };
}

export interface Signature {
  name: string;
  email: string;
  /** ISO date; defaults to now */
  date?: string;
}

/**
 * Plumbing on one bare repository. Server-side commits never touch a work
 * tree: blobs are hashed into the object store, trees are built in a
 * throw-away index, and the branch moves with a compare-and-swap
 * `update-ref`, so that of two concurrent writers only one can win.
 */
export class GitRepo {
  constructor(readonly gitDir: string) {}

  /** Creates the bare repository with the settings the hub relies on. */
  async init(): Promise<void> {
    await runGit(undefined, ['init', '--bare', '--quiet', '--initial-branch=main', this.gitDir]);
    const settings: [string, string][] = [
      ['http.receivepack', 'true'],
      ['uploadpack.allowFilter', 'true'],
      ['uploadpack.allowAnySHA1InWant', 'true'],
      ['receive.fsckObjects', 'true'],
      ['core.logAllRefUpdates', 'false'],
      ['gc.auto', '0'],
    ];
    for (const [k, v] of settings) await runGit(this.gitDir, ['config', k, v]);
  }

  /** Writes files (by path on disk) as blobs; returns their oids in order. */
  async hashFiles(files: string[]): Promise<string[]> {
    if (files.length === 0) return [];
    for (const f of files) if (f.includes('\n')) throw new HubError('Internal', 'temp file name with newline');
    const { stdout } = await runGit(this.gitDir, ['hash-object', '-w', '--no-filters', '--stdin-paths'], {
      input: files.join('\n') + '\n',
    });
    const oids = stdout.toString('utf8').trim().split('\n');
    if (oids.length !== files.length) throw new HubError('Internal', 'git hash-object returned an unexpected count');
    return oids;
  }

  async hashBuffer(content: Buffer | string): Promise<string> {
    const { stdout } = await runGit(this.gitDir, ['hash-object', '-w', '--no-filters', '--stdin'], { input: content });
    return stdout.toString('utf8').trim();
  }

  /**
   * Applies `changes` on top of `baseTree` (or an empty tree) and writes the
   * resulting tree, using a temporary index that nothing else sees.
   */
  async buildTree(baseTree: string | undefined, changes: TreeChange[]): Promise<string> {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'orchard-index-'));
    const env = { GIT_INDEX_FILE: path.join(tmp, 'index') };
    try {
      if (baseTree) await runGit(this.gitDir, ['read-tree', baseTree], { env });
      else await runGit(this.gitDir, ['read-tree', '--empty'], { env });
      // --index-info: "<mode> <oid>\t<path>", or mode 0 with the null oid to remove.
      // Paths are NUL-terminated (-z) so that any UTF-8 name is safe.
      const lines = changes.map((c) =>
        c.blob ? `${c.blob.mode} ${c.blob.oid}\t${c.path}\0` : `0 ${ZERO_OID}\t${c.path}\0`,
      );
      if (lines.length) await runGit(this.gitDir, ['update-index', '-z', '--index-info'], { env, input: lines.join('') });
      const { stdout } = await runGit(this.gitDir, ['write-tree'], { env });
      return stdout.toString('utf8').trim();
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async commitTree(tree: string, parents: string[], message: string, author: Signature): Promise<string> {
    const date = author.date ?? new Date().toISOString();
    const env = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
      GIT_COMMITTER_DATE: date,
    };
    const args = ['commit-tree', tree];
    for (const p of parents) args.push('-p', p);
    const { stdout } = await runGit(this.gitDir, args, { env, input: message });
    return stdout.toString('utf8').trim();
  }

  /**
   * Moves `ref` to `newOid` only if it currently points at `oldOid`
   * (ZERO_OID: only if it does not exist). Returns false when another writer
   * won the race.
   */
  async updateRef(ref: string, newOid: string, oldOid: string): Promise<boolean> {
    const r = await runGit(this.gitDir, ['update-ref', '--no-deref', '--', ref, newOid, oldOid], { okCodes: [1, 128] });
    return r.code === 0;
  }

  async deleteRef(ref: string, oldOid: string): Promise<boolean> {
    const r = await runGit(this.gitDir, ['update-ref', '--no-deref', '-d', '--', ref, oldOid], { okCodes: [1, 128] });
    return r.code === 0;
  }

  /** All refs as `name → oid` (annotated tags peeled to their commit). */
  async listRefs(): Promise<Map<string, string>> {
    const { stdout } = await runGit(this.gitDir, [
      'for-each-ref',
      '--format=%(refname)%00%(objectname)%00%(*objectname)',
      'refs/heads',
      'refs/tags',
      'refs/pr',
      'refs/convert',
    ]);
    const refs = new Map<string, string>();
    for (const line of stdout.toString('utf8').split('\n')) {
      if (!line) continue;
      const [name, oid, peeled] = line.split('\0');
      refs.set(name!, peeled || oid!);
    }
    return refs;
  }

  /** Creates an annotated tag object pointing at `target`; returns its oid. */
  async createTagObject(tag: string, target: string, message: string, tagger: Signature): Promise<string> {
    const date = Math.floor(new Date(tagger.date ?? Date.now()).getTime() / 1000);
    const body = `object ${target}\ntype commit\ntag ${tag}\ntagger ${tagger.name} <${tagger.email}> ${date} +0000\n\n${message}\n`;
    const { stdout } = await runGit(this.gitDir, ['hash-object', '-w', '-t', 'tag', '--stdin'], { input: body });
    return stdout.toString('utf8').trim();
  }

  /** Commits reachable from `rev`, newest first (git log order). */
  async log(rev: string, skip: number, limit: number): Promise<string[]> {
    if (!SHA1_RE.test(rev)) throw new HubError('Internal', 'log expects a commit oid');
    const { stdout } = await runGit(this.gitDir, ['rev-list', `--skip=${skip}`, `--max-count=${limit}`, rev]);
    return stdout.toString('utf8').split('\n').filter(Boolean);
  }

  async countCommits(rev: string): Promise<number> {
    if (!SHA1_RE.test(rev)) throw new HubError('Internal', 'count expects a commit oid');
    const { stdout } = await runGit(this.gitDir, ['rev-list', '--count', rev]);
    return Number(stdout.toString('utf8').trim());
  }

  /** The last commit at or before `rev` that touched each of `paths` (empty path: the root). */
  async lastCommitFor(rev: string, filePath: string): Promise<string | undefined> {
    const args = ['log', '-1', '--format=%H', rev];
    if (filePath) args.push('--', `:(literal)${filePath}`);
    const { stdout } = await runGit(this.gitDir, args);
    return stdout.toString('utf8').trim() || undefined;
  }
}

export async function writeTempFile(dir: string, content: Buffer | string): Promise<string> {
  const file = path.join(dir, `${Date.now()}-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, content);
  return file;
}
