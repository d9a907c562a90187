import { mkdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HubError } from '../core/errors.js';
import { log } from '../core/log.js';
import type { RepoRef } from '../core/repo-id.js';
import { runGit } from '../repo/git.js';
import { KeyedMutex } from '../services/hub.js';
import type { Upstream } from './upstream.js';

/** Written after each successful fetch: its time says how fresh the copy is. */
const FETCHED_MARK = 'orchard-fetched';

/**
 * Bare git copies of upstream repos, so that `git clone` / `git fetch` of an upstream repo through the
 * mirror is served from here, also when upstream is gone. A copy is made by `git clone --mirror` into
 * a temporary folder renamed into place when complete (a half-cloned repo is never served), and brought
 * up to date by `git fetch --prune` (git writes packs before it moves refs, so a cut fetch leaves the
 * previous state) when a client asks for its refs and the copy is older than the mirror's revalidation
 * period. The server's upstream token goes in an `http.<upstream>.extraHeader` passed through the
 * environment: never on a command line, never to another origin, never in the copy's config.
 *
 * One fetch at a time per repo in a process; processes sharing the data folder may fetch one repo at
 * once, and git's ref locks make the loser fail, which is treated like upstream being unreachable
 * (the copy as it is is served).
 */
export class GitCache {
  private readonly locks = new KeyedMutex();

  constructor(
    private readonly dir: string,
    private readonly upstream: Upstream,
    private readonly revalidateMs: number,
  ) {}

  /** Where the copy of `ref` lives (names are already validated repo ids: no `..`, no slashes in parts). */
  repoDir(ref: RepoRef): string {
    return path.join(this.dir, ref.type, ref.namespace, `${ref.name}.git`);
  }

  private env(): Record<string, string> {
    const token = this.upstream.opts.token;
    const base = this.upstream.opts.url.replace(/\/+$/, '');
    return {
      // A stalled upstream fails the fetch instead of holding the client (and the lock) forever.
      GIT_HTTP_LOW_SPEED_LIMIT: '1',
      GIT_HTTP_LOW_SPEED_TIME: String(Math.max(1, Math.ceil(this.upstream.opts.timeoutMs / 1000))),
      ...(token ? { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: `http.${base}/.extraHeader`, GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}` } : {}),
    };
  }

  private async fetchedAt(dir: string): Promise<number | undefined> {
    return (await stat(path.join(dir, FETCHED_MARK)).catch(() => undefined))?.mtimeMs;
  }

  /**
   * The copy of `ref`, refreshed from upstream first when `refresh` and it is older than the revalidation
   * period. Without a copy and without upstream: UpstreamUnavailable.
   */
  async ensure(ref: RepoRef, repoUrlPath: string, refresh: boolean): Promise<string> {
    const dir = this.repoDir(ref);
    return this.locks.run(dir, async () => {
      const at = await this.fetchedAt(dir);
      if (at !== undefined && (!refresh || this.upstream.offline || Date.now() - at < this.revalidateMs)) return dir;
      if (this.upstream.offline) throw new HubError('UpstreamUnavailable', 'This hub is offline and holds no git copy of this repository');
      const url = `${this.upstream.opts.url.replace(/\/+$/, '')}${repoUrlPath}.git`;
      try {
        if (at === undefined) await this.cloneInto(dir, url);
        else await runGit(dir, ['fetch', '--prune', '--quiet', 'origin'], { env: this.env() });
        await writeFile(path.join(dir, FETCHED_MARK), '');
        await utimes(path.join(dir, FETCHED_MARK), new Date(), new Date());
      } catch (err) {
        const why = (err as Error).message.split('\n')[0];
        if (at !== undefined) {
          log.warn('mirror: git fetch from upstream failed; serving the copy as last fetched', { repo: `${ref.namespace}/${ref.name}`, error: why });
          return dir;
        }
        throw new HubError('UpstreamUnavailable', `Could not fetch this repository from upstream: ${why}`);
      }
      return dir;
    });
  }

  private async cloneInto(dir: string, url: string): Promise<void> {
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(path.dirname(dir), { recursive: true });
    try {
      await runGit(undefined, ['clone', '--mirror', '--quiet', url, tmp], { env: this.env() });
      await writeFile(path.join(tmp, FETCHED_MARK), '');
      await rename(tmp, dir);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}
