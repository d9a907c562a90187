import { countUsers } from '../../auth/users.js';
import { log } from '../../core/log.js';
import { startHub } from '../../main.js';
import type { Command } from '../command.js';

export const serve: Command = {
  name: 'serve',
  usage: `serve [--port P] [--host H] [--data DIR] [--public-url URL] [--database URL] [--trust-proxy] [--webhooks-allow-private-targets]
        [--upstream URL [--offline]]
        Run the hub (SQLite and a local folder by default). With --upstream, also a pull-through
        cache of that hub (docs/mirror.md): ORCHARD_UPSTREAM_TOKEN, ORCHARD_MIRROR_ALLOW/_DENY,
        ORCHARD_MIRROR_MAX_BYTES, ORCHARD_MIRROR_REVALIDATE_SECONDS, ORCHARD_UPSTREAM_TIMEOUT_MS.
        LFS objects in S3-compatible storage (docs/storage.md): ORCHARD_S3_BUCKET, ORCHARD_S3_ENDPOINT,
        ORCHARD_S3_REGION, ORCHARD_S3_ACCESS_KEY_ID, ORCHARD_S3_SECRET_ACCESS_KEY, ORCHARD_S3_PREFIX,
        ORCHARD_S3_FORCE_PATH_STYLE, ORCHARD_S3_PRESIGN.
        Env: PORT, ORCHARD_HOST, ORCHARD_DATA, ORCHARD_PUBLIC_URL, ORCHARD_DATABASE_URL,
        ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS=1, ORCHARD_WEBHOOK_RETRY_BASE_MS, ORCHARD_WEBHOOK_MAX_ATTEMPTS, ORCHARD_WEBHOOK_TIMEOUT_MS
        Operations (docs/operations.md): ORCHARD_LOG_LEVEL=debug|info|warn|error|off, ORCHARD_LOG_FORMAT=json|text,
        ORCHARD_METRICS_TOKEN, ORCHARD_METRICS_PUBLIC=1, ORCHARD_SHUTDOWN_GRACE_SECONDS, ORCHARD_SHUTDOWN_DELAY_SECONDS`,
  async run(ctx) {
    // The process owns its stdout: the server command points the logger there (one line per request).
    // Programs that embed the hub (the tests, the benchmarks) keep the quiet default.
    log.configure({ level: ctx.config.logLevel, format: ctx.config.logFormat, write: (line) => process.stdout.write(line) });
    const running = await startHub(ctx.config);
    ctx.err(`Orchard is listening on ${running.url} (data: ${ctx.config.dataDir})\n`);
    log.info('listening', { url: running.url, pid: process.pid });
    if ((await countUsers(running.hub.db)) === 0) {
      const data = ctx.config.dataDir;
      ctx.err(
        `\nNo users yet. Create an admin and a write token with:\n` +
          `  npx orchard user create admin --admin --data ${data}\n` +
          `  npx orchard token create --user admin --write --data ${data}\n` +
          `then use it: HF_ENDPOINT=${running.url} HF_TOKEN=<token> HF_HUB_DISABLE_XET=1 hf upload ...\n\n`,
      );
    }
    const { shutdownGraceSeconds: grace, shutdownDelaySeconds: delay } = ctx.config;
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // The operator does not want to wait: requests in flight are cut, nothing is cleaned up.
        log.warn('second signal: exiting at once', { signal, in_flight: running.ops.inFlight });
        process.exit(1);
      }
      stopping = true;
      ctx.err(`Shutting down (${signal}): requests in flight get up to ${grace} s to finish; send ${signal} again to stop at once\n`);
      running.shutdown({ graceMs: grace * 1000, delayMs: delay * 1000 }).then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          log.error('shutdown failed', err);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return new Promise<number>(() => undefined);
  },
};
