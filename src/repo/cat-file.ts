import type { ChildProcess } from 'node:child_process';
import { HubError } from '../core/errors.js';
import { spawnGit } from './git.js';

export interface ObjectInfo {
  oid: string;
  type: 'blob' | 'tree' | 'commit' | 'tag';
  size: number;
}

interface Pending {
  wantContent: boolean;
  resolve: (v: { info: ObjectInfo; content?: Buffer } | undefined) => void;
  reject: (e: Error) => void;
}

/**
 * A long-lived `git cat-file --batch-command` reading many objects through one
 * process: the indexer reads every new tree and every small blob of a push
 * with it instead of spawning git once per object.
 */
export class CatFile {
  private readonly child: ChildProcess;
  private readonly queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private failed: Error | undefined;

  constructor(gitDir: string, env?: Record<string, string>) {
    this.child = spawnGit(gitDir, ['cat-file', '--batch-command'], { env });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.drain();
    });
    const fail = (e: Error): void => {
      this.failed = e;
      for (const p of this.queue.splice(0)) p.reject(e);
    };
    this.child.on('error', fail);
    this.child.on('close', () => fail(new HubError('Internal', 'git cat-file exited')));
    this.child.stdin!.on('error', () => undefined);
  }

  info(oid: string): Promise<ObjectInfo | undefined> {
    return this.request(`info ${oid}\n`, false).then((r) => r?.info);
  }

  contents(oid: string): Promise<{ info: ObjectInfo; content: Buffer } | undefined> {
    return this.request(`contents ${oid}\n`, true) as Promise<{ info: ObjectInfo; content: Buffer } | undefined>;
  }

  close(): void {
    this.child.stdin!.end();
  }

  private request(line: string, wantContent: boolean): Promise<{ info: ObjectInfo; content?: Buffer } | undefined> {
    if (this.failed) return Promise.reject(this.failed);
    if (!/^(info|contents) [0-9a-f]{40}\n$/.test(line)) return Promise.reject(new HubError('BadRequest', 'Invalid object name'));
    return new Promise((resolve, reject) => {
      this.queue.push({ wantContent, resolve, reject });
      this.child.stdin!.write(line);
    });
  }

  private drain(): void {
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const header = this.buf.subarray(0, nl).toString('utf8');
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buf = this.buf.subarray(nl + 1);
        this.queue.shift();
        head.resolve(undefined);
        continue;
      }
      const [oid, type, sizeStr] = header.split(' ');
      const info: ObjectInfo = { oid: oid!, type: type as ObjectInfo['type'], size: Number(sizeStr) };
      if (!head.wantContent) {
        this.buf = this.buf.subarray(nl + 1);
        this.queue.shift();
        head.resolve({ info });
        continue;
      }
      // header, content, then a trailing newline
      if (this.buf.length < nl + 1 + info.size + 1) return;
      const content = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + info.size));
      this.buf = this.buf.subarray(nl + 1 + info.size + 1);
      this.queue.shift();
      head.resolve({ info, content });
    }
  }
}

/** Parses a binary git tree object into its entries. */
export function parseTree(content: Buffer): { mode: string; name: string; oid: string }[] {
  const entries: { mode: string; name: string; oid: string }[] = [];
  let i = 0;
  while (i < content.length) {
    const sp = content.indexOf(32, i);
    const nul = content.indexOf(0, sp);
    const mode = content.subarray(i, sp).toString('latin1');
    const name = content.subarray(sp + 1, nul).toString('utf8');
    const oid = content.subarray(nul + 1, nul + 21).toString('hex');
    entries.push({ mode, name, oid });
    i = nul + 21;
  }
  return entries;
}

export interface ParsedCommit {
  tree: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  date: string;
  message: string;
}

/** Parses a raw commit object (headers, blank line, message). */
export function parseCommit(content: Buffer): ParsedCommit {
  const text = content.toString('utf8');
  const split = text.indexOf('\n\n');
  const headers = split >= 0 ? text.slice(0, split) : text;
  const message = split >= 0 ? text.slice(split + 2) : '';
  let tree = '';
  const parents: string[] = [];
  let authorName = '';
  let authorEmail = '';
  let date = new Date(0).toISOString();
  for (const line of headers.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
    else if (line.startsWith('author ')) {
      const m = /^author (.*) <([^>]*)> (\d+) ([+-]\d{4})$/.exec(line);
      if (m) {
        authorName = m[1]!;
        authorEmail = m[2]!;
        date = new Date(Number(m[3]) * 1000).toISOString();
      }
    }
  }
  return { tree, parents, authorName, authorEmail, date, message };
}
