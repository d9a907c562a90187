/**
 * S3 download benchmark: a `resolve` download through the hub's presigned
 * redirect against a direct `GetObject` of the same object from the same
 * store, then the hub streaming the object itself (`ORCHARD_S3_PRESIGN=false`)
 * against the same direct read. The store is s3rver, an S3 emulator, in its
 * own process (docs/storage.md): what is measured is the hub's share (the
 * resolve request and the redirect hop, or the proxying), not S3's speed.
 *
 *   npm run build && node dist/bench/s3-resolve.js      (BENCH_SIZE_MB=64 for a quick run)
 *
 * Every client is its own process: the hub path is `node:http` following the
 * 302 to the Location without the token (as PY does); the baseline is the AWS
 * SDK's GetObject with the store's credentials. Both count and drop the bytes,
 * checking status and length. Two sizes: the large file (throughput) and a
 * 1 MiB file fetched 50 times in a row (the redirect's latency).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { s3ClientFor } from '../src/storage/s3-blob-store.js';
import type { SpawnedHub } from '../test/helpers/hub.js';
import { S3RVER_KEY, startS3Emulator } from '../test/helpers/s3-emulator.js';
import {
  MiB, benchRounds, benchSizeBytes, best, createSourceFile, fmt, isMain, log, mbPerSec, median, onCleanup, runCleanups, runNodeJson, stopChild, summaryTable, table, tempDir, waitForIdle,
  type SourceFile, type SummaryRow,
} from './common.js';
import type { BenchHub } from './hub.js';

const SCRIPT = new URL(import.meta.url).pathname;
const REPO = 'alice/bench-s3';
const SMALL_REPEAT = 50;
/** A redirect costs one more round trip: large downloads should not notice it. */
const RATIO_TARGET = 0.9;

interface Store {
  endpoint: string;
  bucket: string;
}

type ClientTask =
  | { mode: 'client'; kind: 'hub'; url: string; token: string; size: number; repeat: number }
  | { mode: 'client'; kind: 'direct'; store: Store; key: string; size: number; repeat: number };

// ---------------------------------------------------------------------------
// Child process: the emulator, printing its address and running until stopped.

async function runEmulator(): Promise<void> {
  const s3 = await startS3Emulator({ bucket: 'bench-s3' });
  process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint, bucket: s3.bucket })}\n`);
  process.once('SIGTERM', () => void s3.close().finally(() => process.exit(0)));
}

async function spawnEmulator(): Promise<{ store: Store; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify({ mode: 'emulator' })], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  const remove = onCleanup(() => stopChild(child));
  const stop = async (): Promise<void> => {
    remove();
    await stopChild(child);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ store: JSON.parse(line) as Store, stop });
    });
    child.once('exit', (code) => reject(new Error(`the S3 emulator exited with ${code}: ${out}`)));
  });
}

// ---------------------------------------------------------------------------
// Child process: the client.

/** GETs `url`, following one redirect without the Authorization header; resolves to the bytes received. */
function getFollowing(agent: http.Agent, url: string, headers: Record<string, string>, hops = 1): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location && hops > 0) {
          res.resume();
          // Another host: the token stays with the hub (spec 2.1).
          getFollowing(agent, res.headers.location, {}, hops - 1).then(resolve, reject);
          return;
        }
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.once('error', reject);
        res.once('end', () => (status === 200 ? resolve(bytes) : reject(new Error(`GET ${url}: ${status}`))));
      })
      .once('error', reject);
  });
}

async function runClient(task: ClientTask): Promise<{ bytes: number; ms: number }> {
  let bytes = 0;
  const t0 = performance.now();
  if (task.kind === 'hub') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < task.repeat; i++) bytes += await getFollowing(agent, task.url, { authorization: `Bearer ${task.token}` });
    agent.destroy();
  } else {
    const client = s3ClientFor({ endpoint: task.store.endpoint, region: 'us-east-1', accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY, forcePathStyle: true });
    for (let i = 0; i < task.repeat; i++) {
      const res = await client.send(new GetObjectCommand({ Bucket: task.store.bucket, Key: task.key }));
      for await (const c of res.Body as AsyncIterable<Buffer>) bytes += c.length;
    }
    client.destroy();
  }
  const ms = performance.now() - t0;
  if (bytes !== task.size * task.repeat) throw new Error(`${task.kind}: got ${bytes} bytes, expected ${task.size * task.repeat}`);
  return { bytes, ms };
}

// ---------------------------------------------------------------------------
// The benchmark.

interface Phase {
  name: string;
  hub: number[];
  direct: number[];
}

/** Alternating rounds of the hub path and the direct read; returns MB/s (large) or requests/s (small) per round. */
async function alternate(rounds: number, hubTask: ClientTask, directTask: ClientTask, perSecond: (r: { bytes: number; ms: number }) => number, label: string): Promise<Phase> {
  const phase: Phase = { name: label, hub: [], direct: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['direct', 'hub'] as const) : (['hub', 'direct'] as const);
    for (const kind of order) {
      await waitForIdle();
      const res = await runNodeJson<{ bytes: number; ms: number }>(SCRIPT, kind === 'hub' ? hubTask : directTask);
      phase[kind].push(perSecond(res));
    }
  }
  return phase;
}

function keyOf(oid: string): string {
  return `lfs/${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`;
}

export async function runS3ResolveBench(opts: { source?: SourceFile; rounds?: number } = {}): Promise<SummaryRow[]> {
  const size = opts.source?.size ?? benchSizeBytes();
  const rounds = opts.rounds ?? benchRounds(3);
  log(`\n== S3 resolve benchmark: ${size / MiB} MiB and 1 MiB LFS files on s3rver (emulator), ${rounds} alternating rounds ==`);
  const dir = await tempDir('orchard-bench-s3-');
  const source = opts.source ?? createSourceFile(dir, size);
  const small = createSourceFile(await tempDir('orchard-bench-s3-small-'), MiB);

  log('setting up: S3 emulator, hub on the bucket, LFS uploads, commits…');
  // Loaded here, not at the top: the client and emulator processes of this file need none of the hub.
  const { createRepo, startBenchHub, uploadLfsFile } = await import('./hub.js');
  const { spawnHub } = await import('../test/helpers/hub.js');
  const emulator = await spawnEmulator();
  const store = emulator.store;
  const s3env = {
    ORCHARD_S3_ENDPOINT: store.endpoint,
    ORCHARD_S3_BUCKET: store.bucket,
    ORCHARD_S3_ACCESS_KEY_ID: S3RVER_KEY,
    ORCHARD_S3_SECRET_ACCESS_KEY: S3RVER_KEY,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const hub: BenchHub = await startBenchHub(s3env);
  await createRepo(hub, 'bench-s3');
  await uploadLfsFile(hub, REPO, 'large.bin', source);
  await uploadLfsFile(hub, REPO, 'small.bin', small);

  const tasks = (hubUrl: string, file: string, src: SourceFile, repeat: number): [ClientTask, ClientTask] => [
    { mode: 'client', kind: 'hub', url: `${hubUrl}/${REPO}/resolve/main/${file}`, token: hub.tokens.alice, size: src.size, repeat },
    { mode: 'client', kind: 'direct', store, key: keyOf(src.oid), size: src.size, repeat },
  ];
  const mbs = (r: { bytes: number; ms: number }): number => mbPerSec(r.bytes, r.ms);
  const rps = (r: { ms: number }): number => SMALL_REPEAT / (r.ms / 1000);

  // Presigned redirects (the default on S3).
  const redirectLarge = await alternate(rounds, ...tasks(hub.url, 'large.bin', source, 1), mbs, `${size / MiB} MiB, presigned redirect`);
  const redirectSmall = await alternate(rounds, ...tasks(hub.url, 'small.bin', small, SMALL_REPEAT), rps, `1 MiB x ${SMALL_REPEAT}, presigned redirect`);

  // The same data folder and bucket, served by a hub that streams from S3 itself.
  await hub.process.stop();
  Object.assign(process.env, s3env, { ORCHARD_S3_PRESIGN: 'false' });
  let streaming: SpawnedHub;
  try {
    streaming = await spawnHub(hub.dataDir);
  } finally {
    for (const k of [...Object.keys(s3env), 'ORCHARD_S3_PRESIGN']) delete process.env[k];
  }
  onCleanup(() => streaming.stop('SIGKILL'));
  const streamLarge = await alternate(rounds, ...tasks(streaming.url, 'large.bin', source, 1), mbs, `${size / MiB} MiB, streamed by the hub`);
  const streamSmall = await alternate(rounds, ...tasks(streaming.url, 'small.bin', small, SMALL_REPEAT), rps, `1 MiB x ${SMALL_REPEAT}, streamed by the hub`);
  await streaming.stop();
  await hub.stop();
  await emulator.stop();

  const unit = (p: Phase, x: number): string => (p === redirectSmall || p === streamSmall ? `${x.toFixed(0)} req/s` : fmt.mbs(x));
  const phases = [redirectLarge, redirectSmall, streamLarge, streamSmall];
  log(
    '\n' +
      table(
        ['download', 'hub best', 'direct best', 'ratio best', 'hub median', 'direct median', 'ratio median'],
        phases.map((p) => [p.name, unit(p, best(p.hub)), unit(p, best(p.direct)), fmt.ratio(best(p.hub) / best(p.direct)), unit(p, median(p.hub)), unit(p, median(p.direct)), fmt.ratio(median(p.hub) / median(p.direct))]),
      ),
  );
  const ratio = best(redirectLarge.hub) / best(redirectLarge.direct);
  return [
    { bench: `S3 resolve ${size / MiB} MiB, presigned redirect vs GetObject`, hub: fmt.mbs(best(redirectLarge.hub)), baseline: fmt.mbs(best(redirectLarge.direct)), ratio: fmt.ratio(ratio), target: `>= ${RATIO_TARGET}`, ok: Number(ratio.toFixed(2)) >= RATIO_TARGET },
    ...[redirectSmall, streamLarge, streamSmall].map((p) => ({ bench: `S3 resolve ${p.name}`, hub: unit(p, best(p.hub)), baseline: unit(p, best(p.direct)), ratio: fmt.ratio(best(p.hub) / best(p.direct)), target: '-', ok: undefined })),
  ];
}

if (isMain(import.meta.url)) {
  const task = process.argv[2] ? (JSON.parse(process.argv[2]) as { mode: string }) : undefined;
  if (task?.mode === 'emulator') {
    runEmulator().catch((err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    });
  } else if (task?.mode === 'client') {
    runClient(task as ClientTask).then(
      (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
      (err: unknown) => {
        process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
        process.exitCode = 1;
      },
    );
  } else {
    runS3ResolveBench()
      .then((rows) => log('\n' + summaryTable(rows)))
      .catch((err: unknown) => {
        process.exitCode = 1;
        log(err instanceof Error ? err.stack ?? err.message : String(err));
      })
      .finally(() => runCleanups());
  }
}
