import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Whether a process of this host is still running: files named after a
 * process id (scratch folders, partial downloads) belong to it while it is.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * This process's scratch folder under `root` (`{root}/{pid}`), after removing
 * what a crash left: the folders of processes that are gone, and anything not
 * named after a process. Several hub processes may share a data folder
 * (docs/operations.md), so a live process's files are never touched.
 */
export async function processScratchDir(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  for (const entry of await readdir(root)) {
    const pid = Number(entry);
    if (/^\d+$/.test(entry) && pid !== process.pid && processAlive(pid)) continue;
    await rm(path.join(root, entry), { recursive: true, force: true });
  }
  const own = path.join(root, String(process.pid));
  await mkdir(own, { recursive: true });
  return own;
}
