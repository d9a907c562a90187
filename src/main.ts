import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { processScratchDir } from './storage/process-files.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UrlSigner } from './auth/signed-urls.js';
import type { Config } from './config/config.js';
import { openDatabase, type OpenedDb } from './db/database.js';
import { createApp } from './http/app.js';
import { Operations } from './http/ops.js';
import { drainServer, type DrainOptions } from './http/shutdown.js';
import { pendingWebhookDeliveries } from './services/queue-depth.js';
import { RateLimits } from './http/rate-limit.js';
import { DatabaseRateLimitStore } from './http/rate-limit-db.js';
import type { Hub, HubLimits } from './services/hub.js';
import { HubEvents } from './services/events.js';
import { exportTasks, requeueUnfinishedExports } from './services/export-jobs.js';
import { runArenaExport } from './services/arena-export.js';
import { runFeedbackExport } from './services/feedback-export.js';
import { syncPending } from './services/indexer.js';
import { registerDiscussions } from './services/pull-requests.js';
import { settleDownloads } from './services/downloads.js';
import { startWebhooks } from './services/webhooks.js';
import { setArenaLiveOptions } from './services/arena-live.js';
import { initialiseGit } from './services/repos.js';
import { createBlobStore } from './storage/create-blob-store.js';
import { createMirror } from './mirror/create-mirror.js';
import { startReplicationScheduler } from './mirror/replication-scheduler.js';
import type { JobQueue } from './jobs/job-queue.js';
import { createJobQueue } from './jobs/create-job-queue.js';

export interface RunningHub {
  hub: Hub;
  server: Server;
  url: string;
  /** Readiness, metrics and requests in flight (docs/operations.md). */
  ops: Operations;
  /** The background job queue (docs/operations.md). */
  jobs: JobQueue;
  /** Stops at once, cutting requests in flight (tests use it). */
  close(): Promise<void>;
  /**
   * Graceful shutdown: readiness fails, new connections are refused, requests
   * in flight get `graceMs` to finish, then background jobs in flight get up
   * to `graceMs` more (graphile-worker's graceful stop; a job cut after that
   * is queued again) and the database closes. Resolves with the number of
   * requests that had to be cut.
   */
  shutdown(opts: DrainOptions): Promise<number>;
}

/** The signing secret lives in the database so that every process of one hub shares it. */
async function loadSecret(opened: OpenedDb): Promise<Buffer> {
  const { db } = opened;
  const row = await db.selectFrom('settings').select('value').where('key', '=', 'signing_secret').executeTakeFirst();
  if (row) return Buffer.from(row.value, 'hex');
  const secret = randomBytes(32).toString('hex');
  await db.insertInto('settings').values({ key: 'signing_secret', value: secret }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const again = await db.selectFrom('settings').select('value').where('key', '=', 'signing_secret').executeTakeFirstOrThrow();
  return Buffer.from(again.value, 'hex');
}

/** Writes the pre-receive hook that git runs for pushes (it calls back to this process). */
async function installHooks(dataDir: string): Promise<string> {
  const hooksDir = path.join(dataDir, 'hooks');
  await mkdir(hooksDir, { recursive: true });
  const script = fileURLToPath(new URL('./repo/pre-receive-hook.js', import.meta.url));
  const hook = path.join(hooksDir, 'pre-receive');
  await writeFile(hook, `#!/bin/sh\nexec "${process.execPath}" "${script}"\n`);
  await chmod(hook, 0o755);
  return hooksDir;
}

/** The limits services enforce, from the config. */
export function hubLimits(config: Config): HubLimits {
  return {
    maxCommitLineBytes: config.maxCommitLineBytes,
    maxJsonBodyBytes: config.maxJsonBodyBytes,
    lfsThresholdBytes: config.lfsThresholdBytes,
    signedUrlTtlSeconds: config.signedUrlTtlSeconds,
    maxLfsObjectBytes: config.maxLfsObjectBytes,
  };
}

/** The limiter: its buckets in the database (shared by every process) or in memory (this process only). */
function rateLimitsFor(config: Config, opened: OpenedDb): RateLimits {
  const settings = {
    perToken: config.rateLimitPerToken,
    perIp: config.rateLimitPerIp,
    windowSeconds: config.rateLimitWindowSeconds,
    loginAttempts: config.loginAttempts,
    loginWindowSeconds: config.loginWindowSeconds,
  };
  return config.rateLimitStore === 'database' ? new RateLimits(settings, new DatabaseRateLimitStore(opened.db, opened.dialect)) : new RateLimits(settings);
}

/**
 * The composition root: config → database → stores → services → HTTP.
 * Starts listening and finishes any write a crash interrupted.
 */
export async function startHub(config: Config): Promise<RunningHub> {
  await mkdir(config.dataDir, { recursive: true });
  const opened = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  // Per process: several may share the data folder (docs/operations.md).
  const tmpDir = await processScratchDir(path.join(config.dataDir, 'tmp'));
  // The data folder's lfs/ by default, or an S3 bucket (docs/storage.md).
  const blobs = await createBlobStore(config);
  const hub: Hub = {
    db: opened.db,
    dialect: opened.dialect,
    blobs,
    signer: new UrlSigner(await loadSecret(opened)),
    gitRoot: path.join(config.dataDir, 'git'),
    tmpDir,
    events: new HubEvents(),
    limits: hubLimits(config),
  };
  await mkdir(hub.gitRoot, { recursive: true });
  registerDiscussions(hub);
  // Live arena endpoints share the webhooks' rule on private targets (docs/arena.md).
  setArenaLiveOptions(hub, { allowPrivateTargets: config.webhooksAllowPrivateTargets });
  // Before start-up recovery, so that a push a crash interrupted still reaches the webhooks.
  let webhookBaseUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
  // Background work (docs/operations.md): graphile-worker on PostgreSQL, shared by every process; in process on SQLite.
  // Jobs may be added now; they run once the queue starts below.
  const jobs = await createJobQueue({ dialect: opened.dialect, databaseUrl: config.databaseUrl });
  const webhooks = await startWebhooks(hub, jobs, {
    allowPrivateTargets: config.webhooksAllowPrivateTargets,
    retryBaseMs: config.webhookRetryBaseMs,
    maxAttempts: config.webhookMaxAttempts,
    timeoutMs: config.webhookTimeoutMs,
    baseUrl: () => webhookBaseUrl,
  });
  await syncPending(hub, async (repoId) => {
    const row = await hub.db.selectFrom('repos').selectAll().where('id', '=', repoId).executeTakeFirstOrThrow();
    await initialiseGit(hub, row);
  });

  const mirror = config.mirror ? await createMirror(hub.db, config.dataDir, config.mirror) : undefined;
  const hooksDir = await installHooks(config.dataDir);
  const hook = { hooksDir, url: '', token: randomBytes(24).toString('hex') };
  const ops = new Operations({ hub, metricsToken: config.metricsToken, metricsPublic: config.metricsPublic });
  ops.metrics.registerQueue('webhook_deliveries', () => pendingWebhookDeliveries(hub.db));
  ops.metrics.registerQueue('jobs', () => jobs.pending());
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, createApp({ hub, publicUrl: config.publicUrl, trustProxy: config.trustProxy, hook, rateLimits: rateLimitsFor(config, opened), mirror, ops, jobs }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const loopback = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  hook.url = `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}/internal/hooks/lfs-check`;
  const url = config.publicUrl ?? `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}`;
  webhookBaseUrl = url;
  const replicationTasks = await startReplicationScheduler(hub, jobs, { env: process.env });
  await requeueUnfinishedExports(hub, jobs);
  await jobs.start({ ...webhooks.tasks, ...replicationTasks, ...exportTasks(hub, { feedback: runFeedbackExport, arena: runArenaExport }) });
  const stopServices = async (abortAfterMs: number): Promise<void> => {
    webhooks.stop();
    // Jobs in flight finish, or are cut after the grace and queued again: none is lost.
    await jobs.stop({ abortAfterMs });
    // Download counts are written beside their responses: finish them before the database goes.
    await settleDownloads(hub);
    await opened.close();
    // The scratch folder tells other tools (migrate-storage) that a hub runs here: gone with the hub.
    await rm(tmpDir, { recursive: true, force: true });
  };
  return {
    hub,
    server,
    url,
    ops,
    jobs,
    async close() {
      ops.beginShutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stopServices(0);
    },
    async shutdown(opts) {
      const cut = await drainServer(server, ops, opts);
      await stopServices(opts.graceMs);
      return cut;
    },
  };
}
