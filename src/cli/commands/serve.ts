import { countUsers } from '../../auth/users.js';
import { startHub } from '../../main.js';
import type { Command } from '../command.js';

export const serve: Command = {
  name: 'serve',
  usage: `serve [--port P] [--host H] [--data DIR] [--public-url URL] [--database URL] [--trust-proxy] [--webhooks-allow-private-targets]
        [--upstream URL [--offline]]
        Run the hub (SQLite and a local folder by default). With --upstream, also a pull-through
        cache of that hub (docs/mirror.md): ORCHARD_UPSTREAM_TOKEN, ORCHARD_MIRROR_ALLOW/_DENY,
        ORCHARD_MIRROR_MAX_BYTES, ORCHARD_MIRROR_REVALIDATE_SECONDS, ORCHARD_UPSTREAM_TIMEOUT_MS.
        Env: PORT, ORCHARD_HOST, ORCHARD_DATA, ORCHARD_PUBLIC_URL, ORCHARD_DATABASE_URL,
        ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS=1, ORCHARD_WEBHOOK_RETRY_BASE_MS, ORCHARD_WEBHOOK_MAX_ATTEMPTS, ORCHARD_WEBHOOK_TIMEOUT_MS`,
  async run(ctx) {
    const running = await startHub(ctx.config);
    ctx.err(`Orchard is listening on ${running.url} (data: ${ctx.config.dataDir})\n`);
    if ((await countUsers(running.hub.db)) === 0) {
      const data = ctx.config.dataDir;
      ctx.err(
        `\nNo users yet. Create an admin and a write token with:\n` +
          `  npx orchard user create admin --admin --data ${data}\n` +
          `  npx orchard token create --user admin --write --data ${data}\n` +
          `then use it: HF_ENDPOINT=${running.url} HF_TOKEN=<token> HF_HUB_DISABLE_XET=1 hf upload ...\n\n`,
      );
    }
    const stop = (): void => {
      ctx.err('Shutting down\n');
      running.close().then(() => process.exit(0), () => process.exit(1));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return new Promise<number>(() => undefined);
  },
};
