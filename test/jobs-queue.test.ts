/**
 * The job queue contract (src/jobs/), on both implementations: the
 * in-process runner of a SQLite hub and graphile-worker on PostgreSQL.
 * Serial named queues, run-at, job keys, retries of a handler that throws,
 * jobs added before start, graceful stop, the pending count; and, on
 * PostgreSQL, two queues sharing one database and a job locked by a process
 * that was SIGKILLed, which another process frees and runs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { createJobQueue } from '../src/jobs/create-job-queue.js';
import type { JobPayload, JobQueue, TaskHandler } from '../src/jobs/job-queue.js';
import { createPgDatabase, testDialects } from './helpers/hub.js';
import { waitUntil } from './helpers/webhook-receiver.js';

/** A promise and its resolver. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

for (const dialect of testDialects()) {
  describe(`job queue (${dialect})`, () => {
    const dbs: { drop(): Promise<void> }[] = [];
    const queues: JobQueue[] = [];

    /** A fresh queue: in memory on SQLite, on a fresh database on PostgreSQL. */
    async function fresh(): Promise<JobQueue> {
      let q: JobQueue;
      if (dialect === 'postgres') {
        const db = await createPgDatabase('orchard_jobs');
        dbs.push(db);
        q = await createJobQueue({ dialect, databaseUrl: db.url, concurrency: 4 });
      } else {
        q = await createJobQueue({ dialect });
      }
      queues.push(q);
      return q;
    }

    after(async () => {
      for (const q of queues) await q.stop().catch(() => undefined);
      for (const db of dbs) await db.drop();
    });

    test('the backend follows the database', async () => {
      assert.equal((await fresh()).backend, dialect === 'postgres' ? 'graphile-worker' : 'in-process');
    });

    test('a named queue runs its jobs one at a time, in order, while other queues go on', async () => {
      const q = await fresh();
      const log: string[] = [];
      const otherStarted = deferred();
      let running = 0;
      let overlap = false;
      const handler: TaskHandler = async (p) => {
        const name = String(p.name);
        if (name === 'b1') {
          log.push('b1');
          otherStarted.resolve();
          return;
        }
        running += 1;
        if (running > 1) overlap = true;
        log.push(`start ${name}`);
        // a1 ends only once a job of another queue has run: a serial queue must not hold up the others.
        if (name === 'a1') await otherStarted.promise;
        await new Promise((r) => setImmediate(r));
        log.push(`end ${name}`);
        running -= 1;
      };
      for (const n of ['a1', 'a2', 'a3', 'a4']) await q.add('work', { name: n }, { queueName: 'a' });
      await q.add('work', { name: 'b1' }, { queueName: 'b' });
      await q.start({ work: handler });
      await waitUntil(async () => log.includes('end a4'), 'the serial queue to drain');
      assert.equal(overlap, false, `jobs of one queue overlapped: ${log}`);
      assert.deepEqual(log.filter((l) => l.startsWith('start')), ['start a1', 'start a2', 'start a3', 'start a4']);
      assert.ok(log.indexOf('b1') < log.indexOf('end a1'), 'the other queue ran while a1 held its own');
    });

    test('run-at: a job waits for its time; jobs added before start run after it', async () => {
      const q = await fresh();
      const ran: { name: string; at: number }[] = [];
      const runAt = new Date(Date.now() + 400);
      await q.add('t', { name: 'later' }, { runAt });
      await q.add('t', { name: 'now' });
      await q.start({ t: async (p) => void ran.push({ name: String(p.name), at: Date.now() }) });
      await waitUntil(async () => ran.length === 2, 'both jobs');
      assert.deepEqual(ran.map((r) => r.name), ['now', 'later']);
      assert.ok(ran[1]!.at >= runAt.getTime() - 5, 'not before its run-at');
    });

    test('job keys: one waiting job per key; replace moves it, preserve_run_at keeps its time', async () => {
      const q = await fresh();
      const ran: JobPayload[] = [];
      // Three adds of one key before start: one job, with the last payload.
      for (const n of [1, 2, 3]) await q.add('k', { n }, { jobKey: 'one' });
      // A keyed job for much later; adding it again for now with preserve_run_at keeps it later.
      await q.add('k', { n: 'late' }, { jobKey: 'two', queueName: 's', runAt: new Date(Date.now() + 3_600_000) });
      await q.add('k', { n: 'still late' }, { jobKey: 'two', queueName: 's', jobKeyMode: 'preserve_run_at' });
      // Added after: if "two" had moved to now, it would run before this one in the same serial queue.
      await q.add('k', { n: 'sentinel' }, { queueName: 's' });
      await q.start({ k: async (p) => void ran.push(p) });
      await waitUntil(async () => ran.some((p) => p.n === 'sentinel'), 'the sentinel');
      await waitUntil(async () => ran.some((p) => p.n === 3), 'the keyed job');
      assert.deepEqual(ran.map((p) => p.n).sort(), [3, 'sentinel'].sort(), 'one run per key, the later one still waiting');
      // The runs are recorded as they end; the queue forgets a job just after (graphile-worker: a moment later).
      await waitUntil(async () => (await q.pending()) === 1, 'only the preserved job to wait');
      await q.add('k', { n: 'moved' }, { jobKey: 'two', queueName: 's', jobKeyMode: 'replace' });
      await waitUntil(async () => ran.some((p) => p.n === 'moved'), 'the replaced job');
      assert.equal(ran.length, 3);
      await waitUntil(async () => (await q.pending()) === 0, 'an empty queue');
    });

    test('a key added again while its job runs queues a new job behind it', async () => {
      const q = await fresh();
      const ran: JobPayload[] = [];
      const inside = deferred();
      const release = deferred();
      await q.start({
        k: async (p) => {
          ran.push(p);
          if (p.n === 1) {
            inside.resolve();
            await release.promise;
          }
        },
      });
      await q.add('k', { n: 1 }, { jobKey: 'busy', queueName: 'busy' });
      await inside.promise;
      await q.add('k', { n: 2 }, { jobKey: 'busy', queueName: 'busy' });
      release.resolve();
      await waitUntil(async () => ran.length === 2, 'the second job');
      assert.deepEqual(ran.map((p) => p.n), [1, 2]);
    });

    test('a handler that throws is retried with the queue back-off, up to maxAttempts', async () => {
      const q = await fresh();
      const attempts: number[] = [];
      let hopeless = 0;
      await q.start({
        flaky: async (_p, ctx) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt === 1) throw new Error('first run fails');
        },
        hopeless: async () => {
          hopeless += 1;
          throw new Error('always fails');
        },
      });
      await q.add('hopeless', {}, { maxAttempts: 1 });
      await q.add('flaky', {}, { maxAttempts: 3 });
      await waitUntil(async () => attempts.length === 2, 'the retry', 20_000);
      assert.deepEqual(attempts, [1, 2]);
      await waitUntil(async () => (await q.pending()) === 0, 'no job left: done, and given up');
      assert.equal(hopeless, 1, 'maxAttempts 1: never run again');
    });

    test('stop lets a running job finish, or aborts it once the grace is over', async () => {
      const graceful = await fresh();
      const inside = deferred();
      let aborted: boolean | undefined;
      let finished = false;
      await graceful.start({
        slow: async (_p, ctx) => {
          inside.resolve();
          await new Promise((r) => setTimeout(r, 200));
          aborted = ctx.signal.aborted;
          finished = true;
        },
      });
      await graceful.add('slow', {});
      await inside.promise;
      await graceful.stop({ abortAfterMs: 60_000 });
      assert.equal(finished, true, 'stop waited for the job');
      assert.equal(aborted, false);

      const hurried = await fresh();
      const started = deferred();
      let sawAbort = false;
      await hurried.start({
        endless: async (_p, ctx) => {
          started.resolve();
          await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r()));
          sawAbort = true;
        },
      });
      await hurried.add('endless', {});
      await started.promise;
      await hurried.stop({ abortAfterMs: 0 });
      assert.equal(sawAbort, true, 'the signal told the job to stop');
    });

    if (dialect === 'postgres') {
      test('two queues on one database: every job runs exactly once', async () => {
        const db = await createPgDatabase('orchard_jobs');
        dbs.push(db);
        const a = await createJobQueue({ dialect, databaseUrl: db.url, concurrency: 3 });
        const b = await createJobQueue({ dialect, databaseUrl: db.url, concurrency: 3 });
        queues.push(a, b);
        const runs = new Map<number, string[]>();
        const handler = (who: string): TaskHandler => async (p) => {
          const n = Number(p.n);
          runs.set(n, [...(runs.get(n) ?? []), who]);
          await new Promise((r) => setImmediate(r));
        };
        await a.start({ job: handler('a') });
        await b.start({ job: handler('b') });
        for (let n = 0; n < 40; n++) await (n % 2 ? a : b).add('job', { n }, n % 4 === 0 ? { queueName: `q${n % 3}` } : {});
        await waitUntil(async () => runs.size === 40 && (await a.pending()) === 0, 'all jobs');
        for (const [n, who] of runs) assert.equal(who.length, 1, `job ${n} ran ${who.length} times`);
      });

      test('a job locked by a process that was SIGKILLed is freed and run by another', async () => {
        const db = await createPgDatabase('orchard_jobs');
        dbs.push(db);
        const survivor = await createJobQueue({ dialect, databaseUrl: db.url, concurrency: 2 });
        queues.push(survivor);
        const script = fileURLToPath(new URL('./helpers/job-queue-child.js', import.meta.url));
        const child = spawn(process.execPath, [script, db.url], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        const running = new Promise<void>((resolve, reject) => {
          child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes('running')) resolve();
          });
          child.once('exit', (code) => reject(new Error(`child exited with ${code}: ${out}`)));
        });
        // Both in one named queue: the dead process holds the queue too, not just the job.
        await survivor.add('stuck', { n: 1 }, { queueName: 'one-at-a-time' });
        await running;
        await survivor.add('stuck', { n: 2 }, { queueName: 'one-at-a-time' });
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
        const ran: number[] = [];
        await survivor.start({ stuck: async (p) => void ran.push(Number(p.n)) });
        // graphile-worker alone would leave both locked for four hours.
        await waitUntil(async () => ran.length === 2, 'the orphaned jobs to run', 30_000);
        assert.deepEqual(ran, [1, 2], 'in queue order');
      });
    }
  });
}
