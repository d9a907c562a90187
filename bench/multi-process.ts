/**
 * Multi-process benchmark (issue 8): metadata API throughput of 1, 2 and 4
 * `orchard serve` processes sharing one PostgreSQL database and one data
 * folder. The load generator is separate processes on loopback that spread
 * their keep-alive connections round-robin over the ports of the processes
 * in the configuration (a small round-robin balancer without a proxy hop),
 * each sending, in turn, `GET /api/models/{repo}`, `GET
 * /api/models/{repo}/tree/main` and `HEAD /{repo}/resolve/main/{file}`
 * for a fixed duration. Configurations alternate (1, 2, 4, then 2, 4, 1, …)
 * so that a slow patch of the machine does not land on one of them.
 * Printed: requests/s per configuration (best of the rounds) and the ratio
 * to 1 process, measured in the same run.
 *
 *   ORCHARD_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test node dist/bench/multi-process.js
 *
 * Environment: ORCHARD_TEST_PG_URL (required; without it the benchmark is
 * skipped with a message), BENCH_MP_SECONDS (per run, default 8),
 * BENCH_ROUNDS (default 3), BENCH_MP_CLIENTS (load processes, default 2),
 * BENCH_MP_CONNECTIONS (per load process, default 16).
 *
 * Rate limits are off for the run (ORCHARD_RATE_LIMIT_PER_IP=0): every
 * request comes from 127.0.0.1, and one shared counter row for one address
 * would measure a hot row rather than the hub. The download through an S3
 * presigned redirect against a direct GetObject is bench/s3-resolve.ts.
 */
import http from 'node:http';
import os from 'node:os';
import { createPgDatabase, seedUsers } from '../test/helpers/hub.js';
import { startHubProcess, type HubProcess } from '../test/helpers/multi-hub.js';
import { benchRounds, fmt, isMain, log, onCleanup, runCleanups, runNodeJson, summaryTable, table, tempDir, waitForIdle, type SummaryRow } from './common.js';

const SCRIPT = new URL(import.meta.url).pathname;
const REPO = 'alice/bench-meta';
const FILE = 'config.json';
const CONFIGS = [1, 2, 4] as const;

interface LoadTask {
  mode: 'load';
  ports: number[];
  connections: number;
  seconds: number;
}

interface LoadResult {
  requests: number;
  errors: number;
  ms: number;
}

/** One load process: `connections` request loops, connection i on port i mod n, for `seconds`. */
async function runLoad(task: LoadTask): Promise<LoadResult> {
  const agents = task.ports.map(() => new http.Agent({ keepAlive: true, maxSockets: Math.ceil(task.connections / task.ports.length) }));
  const paths: { method: string; path: string }[] = [
    { method: 'GET', path: `/api/models/${REPO}` },
    { method: 'GET', path: `/api/models/${REPO}/tree/main` },
    { method: 'HEAD', path: `/${REPO}/resolve/main/${FILE}` },
  ];
  let requests = 0;
  let errors = 0;
  const start = Date.now();
  const deadline = start + task.seconds * 1000;
  const one = (port: number, agent: http.Agent, p: { method: string; path: string }): Promise<boolean> =>
    new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, method: p.method, path: p.path, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
        res.on('error', () => resolve(false));
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  await Promise.all(
    Array.from({ length: task.connections }, async (_, i) => {
      const k = i % task.ports.length;
      for (let n = i; Date.now() < deadline; n++) {
        if (await one(task.ports[k]!, agents[k]!, paths[n % paths.length]!)) requests++;
        else errors++;
      }
    }),
  );
  const ms = Date.now() - start;
  for (const a of agents) a.destroy();
  return { requests, errors, ms };
}

async function setUpRepo(hub: HubProcess, token: string): Promise<void> {
  const post = (p: string, body: string, type: string): Promise<Response> =>
    fetch(`${hub.url}${p}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
  const created = await post('/api/repos/create', JSON.stringify({ name: 'bench-meta', organization: 'alice', type: 'model' }), 'application/json');
  if (created.status !== 200) throw new Error(`create: ${created.status} ${await created.text()}`);
  // A small repo of the usual shape: a card, a config, a few folders of files.
  const files: [string, string][] = [
    ['README.md', '---\nlicense: apache-2.0\npipeline_tag: text-generation\n---\n# Bench model\n'],
    [FILE, JSON.stringify({ hidden_size: 4096, num_layers: 32 })],
    ...Array.from({ length: 30 }, (_, i): [string, string] => [`shards/part-${i}.txt`, `shard ${i}\n`]),
  ];
  const body = [{ key: 'header', value: { summary: 'bench files', description: '' } }, ...files.map(([p, c]) => ({ key: 'file', value: { path: p, content: Buffer.from(c).toString('base64'), encoding: 'base64' } }))]
    .map((l) => JSON.stringify(l))
    .join('\n');
  const committed = await post(`/api/models/${REPO}/commit/main`, body, 'application/x-ndjson');
  if (committed.status !== 200) throw new Error(`commit: ${committed.status} ${await committed.text()}`);
}

export async function runMultiProcessBench(): Promise<SummaryRow[]> {
  if (!process.env.ORCHARD_TEST_PG_URL) {
    log('\n== Multi-process metadata throughput: skipped (set ORCHARD_TEST_PG_URL=postgres://user@host:port/db) ==');
    return [];
  }
  const seconds = Number(process.env.BENCH_MP_SECONDS ?? 8);
  const rounds = benchRounds(3);
  const clients = Number(process.env.BENCH_MP_CLIENTS ?? 2);
  const connections = Number(process.env.BENCH_MP_CONNECTIONS ?? 16);
  log(`\n== Multi-process metadata throughput: 1, 2 and 4 processes on PostgreSQL; ${clients} load processes × ${connections} connections, ${seconds} s per run, ${rounds} rounds; ${os.cpus().length} CPUs ==`);
  const database = await createPgDatabase('orchard_bench_mp');
  onCleanup(() => database.drop());
  const dataDir = await tempDir('orchard-bench-mp-');
  const tokens = await seedUsers(dataDir, database.url);
  const env = { ORCHARD_RATE_LIMIT_PER_IP: '0', ORCHARD_RATE_LIMIT_PER_TOKEN: '0' };
  const hubs: HubProcess[] = [];
  // One after the other (the first applies the migrations); idle processes cost nothing while unused.
  for (let i = 0; i < Math.max(...CONFIGS); i++) {
    const hub = await startHubProcess({ dataDir, databaseUrl: database.url, env });
    onCleanup(() => hub.stop());
    hubs.push(hub);
  }
  await setUpRepo(hubs[0]!, tokens.alice);

  const results = new Map<number, number[]>(CONFIGS.map((n) => [n, []]));
  let errors = 0;
  // Warm-up: every process answers each route once, at low load.
  await runNodeJson<LoadResult>(SCRIPT, { mode: 'load', ports: hubs.map((h) => h.port), connections: 4, seconds: 1 } satisfies LoadTask);
  for (let r = 0; r < rounds; r++) {
    const order = CONFIGS.map((_, i) => CONFIGS[(i + r) % CONFIGS.length]!);
    for (const n of order) {
      await waitForIdle();
      const ports = hubs.slice(0, n).map((h) => h.port);
      const parts = await Promise.all(Array.from({ length: clients }, () => runNodeJson<LoadResult>(SCRIPT, { mode: 'load', ports, connections, seconds } satisfies LoadTask)));
      const total = parts.reduce((a, p) => a + p.requests, 0);
      const ms = Math.max(...parts.map((p) => p.ms));
      errors += parts.reduce((a, p) => a + p.errors, 0);
      const rps = total / (ms / 1000);
      results.get(n)!.push(rps);
      log(`  round ${r + 1}, ${n} process(es): ${rps.toFixed(0)} requests/s`);
    }
  }
  if (errors) log(`  (${errors} requests failed or were not 200: the numbers count only successful ones)`);
  const bestOf = (n: number): number => Math.max(...results.get(n)!);
  const base = bestOf(1);
  log(table(['processes', 'requests/s (best)', 'all rounds', 'ratio to 1'], CONFIGS.map((n) => [String(n), bestOf(n).toFixed(0), results.get(n)!.map((x) => x.toFixed(0)).join(' '), fmt.ratio(bestOf(n) / base)])));
  return CONFIGS.filter((n) => n > 1).map((n) => ({
    bench: `metadata API, ${n} processes vs 1 (PostgreSQL)`,
    hub: `${bestOf(n).toFixed(0)} req/s`,
    baseline: `${base.toFixed(0)} req/s`,
    ratio: fmt.ratio(bestOf(n) / base),
    target: '-',
    // No target: on a 2-core machine the processes, PostgreSQL and the load generator share the cores (docs/benchmarks.md).
    ok: undefined,
  }));
}

if (isMain(import.meta.url)) {
  const task = process.argv[2] ? (JSON.parse(process.argv[2]) as { mode: string }) : undefined;
  if (task?.mode === 'load') {
    runLoad(task as LoadTask).then(
      (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
      (err: unknown) => {
        process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
        process.exitCode = 1;
      },
    );
  } else {
    runMultiProcessBench()
      .then((rows) => rows.length && log('\n' + summaryTable(rows)))
      .catch((err: unknown) => {
        process.exitCode = 1;
        log(err instanceof Error ? err.stack ?? err.message : String(err));
      })
      .finally(() => runCleanups());
  }
}
