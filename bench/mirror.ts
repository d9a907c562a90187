/**
 * Mirror benchmark: hub B (`orchard serve --upstream A`) as a pull-through
 * cache of hub A, against Debian's nginx with `proxy_cache` in front of the
 * same A (bench/mirror-nginx.ts), and against A itself.
 *
 *   npm run build && node dist/bench/mirror.js      (BENCH_SIZE_MB=64 for a quick run)
 *
 * Every round starts with both caches empty (a fresh nginx cache folder and
 * process, a fresh B process on a fresh data folder), lets each fill a small
 * other file first (untimed: a mirror's process is not new when a file is
 * asked for the first time), and times four full
 * downloads of one LFS file, each from its own client process that counts
 * and drops the bytes: the cold fill through nginx, the cold fill through B,
 * the download straight from A, and the second (cached) download through B.
 * The two cold fills swap places every other round, and so do the last two.
 * Then, untimed: one download through B and one through nginx are hashed by
 * the client (sha256), and nginx's log must say MISS for its cold request and
 * HIT for the next.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CLI, seedUsers } from '../test/helpers/hub.js';
import {
  CLIENT_SCRIPT, MiB, benchRounds, benchSizeBytes, best, busyMeasurements, createSourceFile, fmt, isMain, log, mbPerSec, median, meets,
  onCleanup, runCleanups, runNodeJson, stopChild, summaryTable, syncDisks, table, tempDir, cpuSeconds, waitForIdle, type SourceFile, type SummaryRow,
} from './common.js';
import { createRepo, startBenchHub, uploadLfsFile, type BenchHub } from './hub.js';
import { startNginxCache, type NginxCache } from './mirror-nginx.js';

const REPO = 'alice/bench-mirror';
const FILE = 'model.safetensors';
const RESOLVE = `/${REPO}/resolve/main/${FILE}`;
/** A small other file, fetched (untimed) through nginx and B before the timed transfers of a round. */
const WARMUP_FILE = 'warmup.bin';
const WARMUP_SIZE = 4 * MiB;
const COLD_TARGET = 0.8;
const CACHED_TARGET = 0.95;

type Kind = 'nginxCold' | 'bCold' | 'aDirect' | 'bCached';
const LABEL: Record<Kind, string> = {
  nginxCold: 'cold, through nginx proxy_cache',
  bCold: 'cold, through B',
  aDirect: 'direct from A',
  bCached: 'cached, through B',
};

/** A server whose CPU time is read around each measurement. */
interface Server {
  name: 'A' | 'nginx' | 'B';
  cpu(): number;
}

interface Measured {
  mbs: number;
  ms: number;
  /** CPU seconds per GiB sent, per server involved. */
  cpuPerGiB: Partial<Record<Server['name'], number>>;
}

/** One timed full download from a client process, started on flushed disks and a quiet machine. */
async function measure(url: string, size: number, servers: Server[]): Promise<Measured> {
  syncDisks();
  await waitForIdle();
  const cpu0 = servers.map((s) => s.cpu());
  const r = await runNodeJson<{ bytes: number; ms: number }>(CLIENT_SCRIPT, { mode: 'get', requests: [{ url }], concurrency: 1 });
  if (r.bytes !== size) throw new Error(`GET ${url}: ${r.bytes} bytes, expected ${size}`);
  const gib = r.bytes / 2 ** 30;
  const cpuPerGiB = Object.fromEntries(servers.map((s, i) => [s.name, (s.cpu() - cpu0[i]!) / gib]));
  return { mbs: mbPerSec(r.bytes, r.ms), ms: r.ms, cpuPerGiB };
}

/** Untimed: the client hashes a whole download. */
async function verify(url: string, source: SourceFile, what: string): Promise<void> {
  const r = await runNodeJson<{ sha256: string; bytes: number }>(CLIENT_SCRIPT, { mode: 'verify', url });
  if (r.sha256 !== source.oid || r.bytes !== source.size) throw new Error(`${what} served wrong content: ${r.bytes} bytes, sha256 ${r.sha256}`);
}

interface MirrorFileStats {
  hits: number;
  misses: number;
  transfers: number;
  bytesFromUpstream: number;
  refused: number;
}

async function mirrorStats(b: Pick<BenchHub, 'url' | 'tokens'>): Promise<MirrorFileStats> {
  const res = await fetch(`${b.url}/api/mirror`, { headers: { authorization: `Bearer ${b.tokens.alice}` } });
  if (!res.ok) throw new Error(`GET /api/mirror on B: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { files: MirrorFileStats }).files;
}

/** nginx's log must say `expected` (MISS, HIT, …) for the GETs of `uri` so far. */
async function expectCacheStatuses(nginx: NginxCache, uri: string, expected: string[], when: string): Promise<void> {
  const got = (await nginx.requests()).filter((r) => r.method === 'GET' && r.uri === uri).map((r) => r.cacheStatus);
  if (got.join(',') !== expected.join(',')) throw new Error(`nginx cache statuses of ${uri} ${when}: ${got.join(',') || 'none'}, expected ${expected.join(',') || 'none'}`);
}

/**
 * B: `orchard serve --upstream A` on a fresh data folder. `BENCH_MIRROR_PROF=dir`
 * starts it with `node --cpu-prof` (not allowed in NODE_OPTIONS) and leaves
 * a CPU profile of each B process in that folder.
 */
async function startMirrorHub(a: BenchHub): Promise<Pick<BenchHub, 'url' | 'tokens' | 'process' | 'stop'>> {
  const env = { ORCHARD_UPSTREAM_URL: a.url };
  const prof = process.env.BENCH_MIRROR_PROF;
  if (!prof) return startBenchHub(env);
  const dataDir = await tempDir('orchard-bench-mirror-');
  const tokens = await seedUsers(dataDir);
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${path.resolve(prof)}`, CLI, 'serve', '--port', '0', '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const remove = onCleanup(() => stopChild(child));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`B exited with ${code}: ${out}`)));
  });
  const stop = async (): Promise<void> => {
    remove();
    await stopChild(child); // SIGTERM: the hub exits on its own, and node writes the profile.
  };
  return { url, tokens, process: { url, child, stop }, stop };
}

export interface MirrorOptions {
  source?: SourceFile;
  rounds?: number;
}

export async function runMirrorBench(opts: MirrorOptions = {}): Promise<SummaryRow[]> {
  const size = opts.source?.size ?? benchSizeBytes();
  const rounds = opts.rounds ?? benchRounds(3);
  log(`\n== Mirror benchmark: ${size / MiB} MiB LFS file, ${rounds} rounds, cold caches every round ==`);
  const source = opts.source ?? createSourceFile(await tempDir('orchard-bench-src-'), size);

  log('setting up: hub A, repo, LFS upload, commit…');
  const a = await startBenchHub();
  await createRepo(a, 'bench-mirror');
  await uploadLfsFile(a, REPO, FILE, source);
  await uploadLfsFile(a, REPO, WARMUP_FILE, createSourceFile(await tempDir('orchard-bench-warmup-'), WARMUP_SIZE));
  // A fresh process for the measurements: no heap left over from the upload.
  await a.restart();
  const serverA: Server = { name: 'A', cpu: () => cpuSeconds(a.process.child.pid!) };
  const nginxDir = path.join(await tempDir('orchard-bench-nginx-'), 'nginx');
  const warmup = `/${REPO}/resolve/main/${WARMUP_FILE}`;

  const runs: Record<Kind, Measured[]> = { nginxCold: [], bCold: [], aDirect: [], bCached: [] };
  for (let r = 0; r < rounds; r++) {
    const nginx = await startNginxCache(nginxDir, a.url);
    const b = await startMirrorHub(a);
    const serverN: Server = { name: 'nginx', cpu: () => nginx.cpuSeconds() };
    const serverB: Server = { name: 'B', cpu: () => cpuSeconds(b.process.child.pid!) };
    // Both caches fill another, small file first (untimed): what is measured is a cold cache, not a
    // process's first request (B's JIT, its database, undici's first connection). Mirrors run for days.
    for (const url of [nginx.url + warmup, b.url + warmup]) await runNodeJson(CLIENT_SCRIPT, { mode: 'get', requests: [{ url }], concurrency: 1 });
    await expectCacheStatuses(nginx, RESOLVE, [], 'after the warm-up');
    let stats = await mirrorStats(b);
    if (stats.transfers !== 1) throw new Error(`B after the warm-up: ${JSON.stringify(stats)}`);
    const order: Kind[] = r % 2 === 0 ? ['nginxCold', 'bCold', 'aDirect', 'bCached'] : ['bCold', 'nginxCold', 'bCached', 'aDirect'];
    const round: Partial<Record<Kind, Measured>> = {};
    for (const kind of order) {
      let m: Measured;
      if (kind === 'nginxCold') {
        m = await measure(nginx.url + RESOLVE, size, [serverA, serverN]);
        await expectCacheStatuses(nginx, RESOLVE, ['MISS'], 'after the cold download');
      } else if (kind === 'bCold' || kind === 'bCached') {
        m = await measure(b.url + RESOLVE, size, [serverA, serverB]);
        const now = await mirrorStats(b);
        const d = { hits: now.hits - stats.hits, misses: now.misses - stats.misses, transfers: now.transfers - stats.transfers, fromUpstream: now.bytesFromUpstream - stats.bytesFromUpstream };
        const expected = kind === 'bCold' ? { hits: 0, misses: 1, transfers: 1, fromUpstream: size } : { hits: 1, misses: 0, transfers: 0, fromUpstream: 0 };
        if (JSON.stringify(d) !== JSON.stringify(expected)) throw new Error(`B's counters over the ${LABEL[kind]} download: ${JSON.stringify(d)}, expected ${JSON.stringify(expected)}`);
        stats = now;
      } else {
        m = await measure(a.url + RESOLVE, size, [serverA]);
      }
      round[kind] = m;
      runs[kind].push(m);
    }
    // Untimed: the bytes, and nginx's own account of the next request.
    await verify(b.url + RESOLVE, source, 'B (cached)');
    await verify(nginx.url + RESOLVE, source, 'nginx (cached)');
    await expectCacheStatuses(nginx, RESOLVE, ['MISS', 'HIT'], 'after the second download');
    const head = await fetch(nginx.url + RESOLVE, { method: 'HEAD' });
    if (head.headers.get('x-cache-status') !== 'HIT') throw new Error(`nginx HEAD after the fill: X-Cache-Status ${head.headers.get('x-cache-status')}`);
    await nginx.stop();
    await b.stop();

    log(`\nround ${r + 1}/${rounds} (in this order: ${order.map((k) => LABEL[k]).join('; ')})`);
    log(
      table(
        ['download', 'MB/s', 'seconds', 'CPU s/GiB A', 'nginx', 'B'],
        (['nginxCold', 'bCold', 'aDirect', 'bCached'] as Kind[]).map((k) => {
          const x = round[k]!;
          const c = (n: Server['name']): string => (x.cpuPerGiB[n] === undefined ? '' : x.cpuPerGiB[n]!.toFixed(2));
          return [LABEL[k], fmt.mbs(x.mbs), (x.ms / 1000).toFixed(2), c('A'), c('nginx'), c('B')];
        }),
      ),
    );
    log(
      `ratios this round: B cold / nginx cold ${fmt.ratio(round.bCold!.mbs / round.nginxCold!.mbs)}, ` +
        `B cached / A direct ${fmt.ratio(round.bCached!.mbs / round.aDirect!.mbs)}, B cold / A direct ${fmt.ratio(round.bCold!.mbs / round.aDirect!.mbs)}`,
    );
  }
  await a.stop();

  const mbs = (k: Kind): number[] => runs[k].map((x) => x.mbs);
  const cpu = (k: Kind, n: Server['name']): string => {
    const xs = runs[k].map((x) => x.cpuPerGiB[n]).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs).toFixed(2) : '';
  };
  const kinds: Kind[] = ['nginxCold', 'bCold', 'aDirect', 'bCached'];
  log(`\nall ${rounds} rounds (medians of CPU seconds per GiB sent, per server process; nginx = master + worker):`);
  log(table(['download', 'best', 'median', 'CPU s/GiB A', 'nginx', 'B'], kinds.map((k) => [LABEL[k], fmt.mbs(best(mbs(k))), fmt.mbs(median(mbs(k))), cpu(k, 'A'), cpu(k, 'nginx'), cpu(k, 'B')])));

  // A ratio of speeds is the inverse ratio of times: nginx-cold time / B-cold time = B-cold MB/s / nginx-cold MB/s.
  const ratios: [string, Kind, Kind, number | undefined][] = [
    ['cold: nginx time / B time', 'bCold', 'nginxCold', COLD_TARGET],
    ['cached: A direct time / B cached time', 'bCached', 'aDirect', CACHED_TARGET],
    ['cold: A direct time / B cold time', 'bCold', 'aDirect', undefined],
  ];
  const perRound = (h: Kind, b: Kind): number => median(runs[h].map((x, i) => x.mbs / runs[b][i]!.mbs));
  log(
    '\n' +
      table(
        ['ratio', 'best / best', 'median / median', 'median of rounds', 'target'],
        ratios.map(([name, h, b, target]) => [
          name,
          fmt.ratio(best(mbs(h)) / best(mbs(b))),
          fmt.ratio(median(mbs(h)) / median(mbs(b))),
          fmt.ratio(perRound(h, b)),
          target === undefined ? '-' : `>= ${target}`,
        ]),
      ),
  );
  if (busyMeasurements() > 0) log(`(${busyMeasurements()} measurements so far started while the machine was busy)`);
  log('bytes: B holds back the last byte of a cold download until its own sha256 check passed; the client hashed one cached download through B and one through nginx per round (untimed).');

  const names: Record<Kind, string> = { nginxCold: 'nginx cold', bCold: 'B cold', aDirect: 'A direct', bCached: 'B cached' };
  return ratios.map(([name, h, b, target]) => {
    const ratio = best(mbs(h)) / best(mbs(b));
    return {
      bench: `mirror ${name.split(':')[0]} (${names[h]} vs ${names[b]})`,
      hub: fmt.mbs(best(mbs(h))),
      baseline: fmt.mbs(best(mbs(b))),
      ratio: fmt.ratio(ratio),
      target: target === undefined ? '(info)' : `>= ${target}`,
      ok: target === undefined ? undefined : meets(ratio, target),
    };
  });
}

if (isMain(import.meta.url)) {
  runMirrorBench()
    .then((rows) => {
      log('\n' + summaryTable(rows));
    })
    .catch((err: unknown) => {
      process.exitCode = 1;
      log(err instanceof Error ? err.stack ?? err.message : String(err));
    })
    .finally(() => runCleanups());
}
