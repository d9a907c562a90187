import { createInterface } from 'node:readline';
import { HubError } from '../core/errors.js';
import { CatFile } from '../repo/cat-file.js';
import { spawnGit } from '../repo/git.js';
import { type LfsPointer, MAX_POINTER_SIZE, parsePointer } from '../repo/lfs-pointer.js';

/**
 * Every LFS object that a commit reachable from `include` (and not from
 * `exclude`) points to, anywhere in its history: what a mirror must copy,
 * what a push must send, what a bundle must hold.
 *
 * `rev-list --objects` walks the history once and leaves out blobs too large
 * to be pointers; `cat-file --batch-check` tells blobs from trees; only the
 * small blobs are then read and parsed. Memory grows with the number of small
 * blobs, never with file contents.
 */
export async function lfsPointersIn(gitDir: string, include: string[], exclude: string[] = []): Promise<LfsPointer[]> {
  if (include.length === 0) return [];
  const candidates = await smallBlobs(gitDir, include, exclude);
  const found = new Map<string, LfsPointer>();
  const cat = new CatFile(gitDir);
  try {
    for (let i = 0; i < candidates.length; i += 256) {
      const objects = await Promise.all(candidates.slice(i, i + 256).map((oid) => cat.contents(oid)));
      for (const obj of objects) {
        const p = obj ? parsePointer(obj.content) : undefined;
        if (p) found.set(p.oid, p);
      }
    }
  } finally {
    cat.close();
  }
  return [...found.values()];
}

function smallBlobs(gitDir: string, include: string[], exclude: string[]): Promise<string[]> {
  for (const oid of [...include, ...exclude]) if (!/^[0-9a-f]{40}$/.test(oid)) throw new HubError('Internal', `not an object id: ${oid}`);
  return new Promise((resolve, reject) => {
    const revList = spawnGit(gitDir, ['rev-list', '--objects', `--filter=blob:limit=${MAX_POINTER_SIZE + 1}`, '--stdin']);
    const check = spawnGit(gitDir, ['cat-file', '--buffer', '--batch-check=%(objecttype) %(objectname) %(objectsize)']);
    const errors: string[] = [];
    revList.stderr!.on('data', (d: Buffer) => errors.push(d.toString('utf8')));
    check.stderr!.on('data', (d: Buffer) => errors.push(d.toString('utf8')));
    revList.stdin!.on('error', () => undefined);
    check.stdin!.on('error', () => undefined);
    revList.stdin!.end([...include, ...exclude.map((o) => `^${o}`)].join('\n') + '\n');
    // Only the object ids go on: rev-list prints "<oid> <path>".
    createInterface({ input: revList.stdout! })
      .on('line', (line) => {
        if (line.length >= 40) check.stdin!.write(`${line.slice(0, 40)}\n`);
      })
      .on('close', () => check.stdin!.end());
    const out: string[] = [];
    createInterface({ input: check.stdout! }).on('line', (line) => {
      const [type, oid, size] = line.split(' ');
      if (type === 'blob' && Number(size) <= MAX_POINTER_SIZE) out.push(oid!);
    });
    const exited = (child: typeof revList): Promise<number | null> =>
      new Promise((res, rej) => {
        child.on('error', rej);
        child.on('close', (code) => res(code));
      });
    Promise.all([exited(revList), exited(check)]).then(([a, b]) => {
      if (a === 0 && b === 0) resolve(out);
      else reject(new HubError('Internal', `listing the objects of ${gitDir} failed: ${errors.join(' ').trim().slice(0, 300)}`));
    }, reject);
  });
}
