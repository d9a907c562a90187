/**
 * A process that runs a graphile-worker job queue and takes one job that
 * never ends, so that a test can SIGKILL it with the job locked (as a hub
 * process dies mid-job). Usage: node job-queue-child.js POSTGRES_URL.
 * It prints "running <payload>" once the job has started.
 */
import { createJobQueue } from '../../src/jobs/create-job-queue.js';

const url = process.argv[2];
// Without a URL (as when `node --test dist/test/` loads every file under test/) it does nothing.
if (url) {
  const queue = await createJobQueue({ dialect: 'postgres', databaseUrl: url, concurrency: 1 });
  await queue.start({
    stuck: async (payload) => {
      process.stdout.write(`running ${JSON.stringify(payload)}\n`);
      // Holds the job (and its named queue) until the process is killed.
      await new Promise(() => setInterval(() => undefined, 60_000));
    },
  });
  process.stdout.write('ready\n');
}
