import path from 'node:path';
import type { MirrorConfig } from '../config/config.js';
import type { Db } from '../db/database.js';
import { MirrorCache } from './cache-service.js';
import { GitCache } from './git-cache.js';
import { ObjectCache } from './object-cache.js';
import { Upstream } from './upstream.js';

/** Builds the pull-through cache from its config; its files live in `{dataDir}/mirror-cache`. */
export async function createMirror(db: Db, dataDir: string, config: MirrorConfig): Promise<MirrorCache> {
  const objects = new ObjectCache(path.join(dataDir, 'mirror-cache'), db, { maxBytes: config.maxBytes, stallMs: config.upstreamTimeoutMs });
  await objects.init();
  const upstream = new Upstream({ url: config.upstream, token: config.upstreamToken, offline: config.offline, timeoutMs: config.upstreamTimeoutMs });
  const git = new GitCache(path.join(dataDir, 'mirror-cache', 'git'), upstream, config.revalidateSeconds * 1000);
  return new MirrorCache(db, upstream, objects, config, git);
}
