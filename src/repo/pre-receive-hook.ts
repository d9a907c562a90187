#!/usr/bin/env node
/**
 * git's pre-receive hook for pushes through the hub. git runs it with the
 * pushed objects still in quarantine; it refuses the whole push when:
 *  - a ref outside refs/heads/ and refs/tags/ is updated,
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

async function main(): Promise<void> {
  const input = await new Promise<string>((resolve) => {
    let s = '';
    process.stdin.on('data', (d: Buffer) => (s += d.toString('utf8')));
    process.stdin.on('end', () => resolve(s));
  });
  const updates = input.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string, string]);
  const defaultRef = `refs/heads/${process.env.ORCHARD_DEFAULT_BRANCH ?? 'main'}`;
  const news: string[] = [];
  for (const [, newOid, ref] of updates) {
    if (!ref.startsWith('refs/heads/') && !ref.startsWith('refs/tags/')) reject(`only branches and tags can be pushed, not ${ref}`);
    if (newOid === ZERO) {
      if (ref === defaultRef) reject(`the default branch ${defaultRef.slice(11)} cannot be deleted`);
      continue;
    }
    news.push(newOid);
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
  const res = await fetch(process.env.ORCHARD_HOOK_URL!, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-orchard-hook-token': process.env.ORCHARD_HOOK_TOKEN ?? '' },
    body: JSON.stringify({ repoId: process.env.ORCHARD_REPO_ID, oids: [...oids] }),
  });
  if (!res.ok) reject(`the hub could not check LFS objects (${res.status})`);
  const { missing } = (await res.json()) as { missing: string[] };
  if (missing.length) {
    reject(`this push references LFS objects that were not uploaded: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}. Run "git lfs push --all" or check your git-lfs setup.`);
  }
}

main().catch((err: unknown) => reject(String(err)));
