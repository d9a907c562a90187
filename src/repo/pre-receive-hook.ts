#!/usr/bin/env node
/**
 * git's pre-receive hook for pushes through the hub. git runs it with the
 * pushed objects still in quarantine; it refuses the whole push when:
 *  - a ref outside refs/heads/, refs/tags/ and refs/pr/<n> is updated,
 *  - a pusher without write access updates a branch or a tag,
 *  - a refs/pr/<n> is created or deleted, or updated by someone who is
 *    neither the pull request's author nor a writer, or when it is not open
 *    (asked of the hub),
 *  - the default branch is deleted,
 *  - a pushed LFS pointer names an object that was never uploaded to this
 *    repo (asked of the hub over loopback, so that any blob store works).
 * Running as a separate process, it only uses git and the hub's HTTP callback.
 */
import { spawnSync } from 'node:child_process';
import { parsePointer, MAX_POINTER_SIZE } from './lfs-pointer.js';

const ZERO = '0000000000000000000000000000000000000000';

function git(args: string[], input?: string): Buffer {
  const r = spawnSync('git', args, { input, maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args[0]} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

function reject(message: string): never {
  process.stderr.write(`Orchard: ${message}\n`);
  process.exit(1);
}

/** Asks the hub (src/http/app.ts `internal`) about LFS objects and pull request refs. */
async function ask(body: Record<string, unknown>): Promise<{ missing: string[]; refused?: string[] }> {
  const res = await fetch(process.env.ORCHARD_HOOK_URL!, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-orchard-hook-token': process.env.ORCHARD_HOOK_TOKEN ?? '' },
    body: JSON.stringify({ repoId: process.env.ORCHARD_REPO_ID, ...body }),
  });
  if (!res.ok) reject(`the hub could not check this push (${res.status})`);
  return (await res.json()) as { missing: string[]; refused?: string[] };
}

async function main(): Promise<void> {
  const input = await new Promise<string>((resolve) => {
    let s = '';
    process.stdin.on('data', (d: Buffer) => (s += d.toString('utf8')));
    process.stdin.on('end', () => resolve(s));
  });
  const updates = input.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string, string]);
  const defaultRef = `refs/heads/${process.env.ORCHARD_DEFAULT_BRANCH ?? 'main'}`;
  const news: string[] = [];
  const pullRequests: number[] = [];
  const writer = process.env.ORCHARD_PUSHER_WRITES === '1';
  for (const [oldOid, newOid, ref] of updates) {
    const pr = /^refs\/pr\/([1-9][0-9]{0,8})$/.exec(ref);
    if (pr) {
      if (oldOid === ZERO) reject(`only branches and tags can be pushed, not ${ref}: a push cannot create a pull request, open one through the API first`);
      if (newOid === ZERO) reject(`${ref} belongs to a pull request and cannot be deleted`);
      pullRequests.push(Number(pr[1]));
      news.push(newOid);
      continue;
    }
    if (!ref.startsWith('refs/heads/') && !ref.startsWith('refs/tags/')) reject(`only branches and tags can be pushed, not ${ref}`);
    if (!writer) reject(`you do not have write access to ${ref}; you can push to refs/pr/<n> of your own open pull requests`);
    if (newOid === ZERO) {
      if (ref === defaultRef) reject(`the default branch ${defaultRef.slice(11)} cannot be deleted`);
      continue;
    }
    news.push(newOid);
  }
  if (pullRequests.length) {
    const { refused } = await ask({ pullRequests, pusherId: process.env.ORCHARD_PUSHER_ID ?? '', writer, oids: [] });
    if (refused?.length) reject(refused.join('; '));
  }
  if (news.length === 0) return;

  // Every object the push brings that no existing ref reaches.
  const objects = git(['rev-list', '--objects', ...news, '--not', '--all'])
    .toString('utf8')
    .split('\n')
    .map((l) => l.slice(0, 40))
    .filter((o) => /^[0-9a-f]{40}$/.test(o));
  if (objects.length === 0) return;
  const checks = git(['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'], objects.join('\n') + '\n')
    .toString('utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((p) => p[1] === 'blob' && Number(p[2]) <= MAX_POINTER_SIZE)
    .map((p) => p[0]!);
  const oids = new Set<string>();
  if (checks.length) {
    const out = git(['cat-file', '--batch'], checks.join('\n') + '\n');
    let i = 0;
    while (i < out.length) {
      const nl = out.indexOf(10, i);
      const [, , size] = out.subarray(i, nl).toString('utf8').split(' ');
      const n = Number(size);
      const content = out.subarray(nl + 1, nl + 1 + n);
      const p = parsePointer(content);
      if (p) oids.add(p.oid);
      i = nl + 1 + n + 1;
    }
  }
  if (oids.size === 0) return;
  const { missing } = await ask({ oids: [...oids] });
  if (missing.length) {
    reject(`this push references LFS objects that were not uploaded: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}. Run "git lfs push --all" or check your git-lfs setup.`);
  }
}

main().catch((err: unknown) => reject(String(err)));
