import path from 'node:path';
import type { UrlSigner } from '../auth/signed-urls.js';
import type { Db, Dialect } from '../db/database.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { HubEvents } from './events.js';
import { GitRepo } from '../repo/git-repo.js';

/** Limits the services enforce; the config module fills them. */
export interface HubLimits {
  /** Longest accepted NDJSON line of a commit payload, in bytes. */
  maxCommitLineBytes: number;
  /** Largest JSON body accepted by JSON endpoints. */
  maxJsonBodyBytes: number;
  /** Files at or above this size are stored in LFS by preupload. */
  lfsThresholdBytes: number;
  /** Lifetime of signed LFS transfer URLs. */
  signedUrlTtlSeconds: number;
  /** Largest LFS object accepted, in bytes; 0 for no limit. */
  maxLfsObjectBytes: number;
}

/**
 * Everything a service needs, passed down from the composition root
 * (`src/main.ts`). Services never read config files or the environment.
 */
export interface Hub {
  readonly db: Db;
  readonly dialect: Dialect;
  readonly blobs: BlobStore;
  readonly signer: UrlSigner;
  /** Folder holding one bare git repository per repo, named by the repo's internal id. */
  readonly gitRoot: string;
  /** Scratch space on the same file system as the data folder. */
  readonly tmpDir: string;
  readonly limits: HubLimits;
  /** Repo events (pushes, settings, discussions) for webhooks and other listeners. */
  readonly events: HubEvents;
}

export function gitRepoFor(hub: Hub, repoId: string): GitRepo {
  return new GitRepo(path.join(hub.gitRoot, `${repoId}.git`));
}

/** Per-key async mutex: serialises writers of one repo inside this process. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export const repoLocks = new KeyedMutex();
