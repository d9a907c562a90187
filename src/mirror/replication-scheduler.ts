import { randomUUID } from 'node:crypto';
import { isHubError } from '../core/errors.js';
import { log } from '../core/log.js';
import type { Hub } from '../services/hub.js';
import { runLink } from './replicate-run.js';
import { dueLinks } from './replicate-store.js';

export interface SchedulerOptions {
  /** How often the table is asked for due syncs (one small indexed query). */
  pollMs?: number;
  /** Where `--token-env` names are looked up: the hub's own environment. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs the scheduled pulls and pushes (`orchard mirror schedule`) inside a
 * running hub, one at a time. Each run first claims its row with a
 * conditional UPDATE (`replicate-store.ts` `claim`), so that several hub
 * processes on one database, or a CLI sync, never run one repo's sync twice
 * at once; the claim is a lease, so a crashed process's row frees itself.
 * This is deliberately small: a real job queue arrives with issue 8.
 * Returns `stop`, which aborts a running sync (its git and transfers) and
 * waits for it to wind down; an aborted sync changes no ref.
 */
export function startReplicationScheduler(hub: Hub, opts: SchedulerOptions = {}): () => Promise<void> {
  const pollMs = opts.pollMs ?? 5000;
  const env = opts.env ?? {};
  const owner = `scheduler:${process.pid}:${randomUUID().slice(0, 8)}`;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const tick = async (): Promise<void> => {
    try {
      for (const link of await dueLinks(hub.db, 10)) {
        if (abort.signal.aborted) return;
        try {
          const r = await runLink(hub, link, owner, env, abort.signal);
          log.info(`scheduled ${link.direction} done`, { repoId: link.repo_id, remote: `${link.url} ${link.remote_repo}`, lfsObjects: r.lfs.objects });
        } catch (err) {
          // Taken by another process meanwhile: not an error. Anything else is recorded on the row.
          if (isHubError(err) && err.code === 'Conflict') continue;
          if (!abort.signal.aborted) log.warn(`scheduled ${link.direction} failed: ${(err as Error).message}`, { repoId: link.repo_id, remote: `${link.url} ${link.remote_repo}` });
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) log.error('replication scheduler', err);
    }
  };
  const loop = (): void => {
    if (abort.signal.aborted) return;
    running = tick().finally(() => {
      if (!abort.signal.aborted) timer = setTimeout(loop, pollMs);
    });
  };
  timer = setTimeout(loop, Math.min(pollMs, 1000));
  return async () => {
    abort.abort();
    clearTimeout(timer);
    await running;
  };
}
