/**
 * Download benchmark: `GET /{repo}/resolve/main/{file}` of a large LFS file
 * from `orchard serve`, against a bare Node http server (own process)
 * streaming the same file from disk.
 *
 *   npm run build && node dist/bench/download.js      (BENCH_SIZE_MB=64 for a quick run)
 *
 * Each client is its own process that counts and drops the bytes. Hub and
 * baseline alternate, round after round; the ratio hub/baseline is what to
 * read, not the absolute MB/s (the machine is shared). Then 20 concurrent
 * full downloads from a freshly started hub, sampling its peak RSS.
 */
import {
  BASELINE_SERVER_SCRIPT, CLIENT_SCRIPT, MiB, benchRounds, benchSizeBytes, best, busyMeasurements, cpuSeconds, createSourceFile, fmt, isMain, log,
  mbPerSec, median, meets, rssBytes, runCleanups, runNodeJson, sampleRss, spawnBaselineServer, summaryTable, table, tempDir, waitForIdle,
  type BaselineServer, type SourceFile, type SummaryRow,
} from './common.js';
import { createRepo, objectPath, startBenchHub, uploadLfsFile } from './hub.js';

const REPO = 'alice/bench-download';
const FILE = 'model.safetensors';
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 20);
const RSS_TARGET = 300 * 1e6;
const RATIO_TARGET = 0.9;
/** Read chunk sizes tried for the baseline; the fastest is kept. */
const BASELINE_CHUNKS = [64 * 1024, 256 * 1024, MiB, 4 * MiB];

interface Req {
  url: string;
  headers?: Record<string, string>;
  range?: [number, number];
}

interface GetRun {
  bytes: number;
  ms: number;
}

function fetchAll(requests: Req[], concurrency: number): Promise<GetRun> {
  return runNodeJson<GetRun>(CLIENT_SCRIPT, { mode: 'get', requests, concurrency });
}

interface Measured {
  mbs: number;
  /** CPU seconds the server process used per GiB sent (all its threads). */
  cpuPerGiB: number;
}

/** One timed measurement, started once the machine is quiet, with the server's CPU time around it. */
async function measure(serverPid: number, requests: Req[], concurrency: number): Promise<Measured> {
  await waitForIdle();
  const cpu0 = cpuSeconds(serverPid);
  const r = await fetchAll(requests, concurrency);
  return { mbs: mbPerSec(r.bytes, r.ms), cpuPerGiB: (cpuSeconds(serverPid) - cpu0) / (r.bytes / 2 ** 30) };
}

/** Slices of (about) 256 MiB at 1 GiB, scaled with BENCH_SIZE_MB: always 4 slices covering the file. */
function slices(size: number): [number, number][] {
  const n = 4;
  const step = Math.ceil(size / n);
  const out: [number, number][] = [];
  for (let start = 0; start < size; start += step) out.push([start, Math.min(size, start + step) - 1]);
  return out;
}

export interface DownloadOptions {
  source?: SourceFile;
  rounds?: number;
}

export async function runDownloadBench(opts: DownloadOptions = {}): Promise<SummaryRow[]> {
  const size = opts.source?.size ?? benchSizeBytes();
  const rounds = opts.rounds ?? benchRounds(5);
  log(`\n== Download benchmark: ${size / MiB} MiB LFS file, ${rounds} alternating rounds ==`);
  const source = opts.source ?? createSourceFile(await tempDir('orchard-bench-src-'), size);

  log('setting up: hub, repo, LFS upload, commit…');
  const hub = await startBenchHub();
  await createRepo(hub, 'bench-download');
  await uploadLfsFile(hub, REPO, FILE, source);
  // A fresh process for the measurements: no heap left over from the upload.
  await hub.restart();
  const file = objectPath(hub, source.oid);
  const auth = { authorization: `Bearer ${hub.tokens.alice}` };
  const hubUrl = (): string => `${hub.url}/${REPO}/resolve/main/${FILE}`;

  // Not timed: the hub serves the right bytes.
  const check = await runNodeJson<{ sha256: string; bytes: number }>(CLIENT_SCRIPT, { mode: 'verify', url: hubUrl(), headers: auth });
  if (check.sha256 !== source.oid || check.bytes !== size) throw new Error(`hub served wrong content: ${check.bytes} bytes, sha256 ${check.sha256}`);

  const full = (url: string, headers?: Record<string, string>): Req[] => [{ url, ...(headers ? { headers } : {}) }];
  const ranged = (url: string, headers?: Record<string, string>): Req[] => slices(size).map((range) => ({ url, range, ...(headers ? { headers } : {}) }));

  // Baseline calibration: keep the fastest read chunk size.
  log('calibrating the baseline server (read chunk size)…');
  let bestChunk = MiB;
  let bestSpeed = 0;
  const calib: string[][] = [];
  for (const hwm of BASELINE_CHUNKS) {
    const server = await spawnBaselineServer(file, hwm);
    const speeds: number[] = [];
    for (let i = 0; i < 2; i++) speeds.push((await measure(server.child.pid!, full(server.url), 1)).mbs);
    await server.stop();
    calib.push([`${hwm / 1024} KiB`, fmt.mbs(best(speeds))]);
    if (best(speeds) > bestSpeed) [bestSpeed, bestChunk] = [best(speeds), hwm];
  }
  log(table(['baseline highWaterMark', 'full GET (best of 2)'], calib));
  log(`baseline uses highWaterMark ${bestChunk / 1024} KiB (${BASELINE_SERVER_SCRIPT})`);

  let baseline: BaselineServer = await spawnBaselineServer(file, bestChunk);
  const runs = { hubFull: [] as Measured[], baseFull: [] as Measured[], hubRange: [] as Measured[], baseRange: [] as Measured[] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['base', 'hub'] as const) : (['hub', 'base'] as const);
    for (const kind of order) {
      if (kind === 'hub') runs.hubFull.push(await measure(hub.process.child.pid!, full(hubUrl(), auth), 1));
      else runs.baseFull.push(await measure(baseline.child.pid!, full(baseline.url), 1));
    }
    for (const kind of order) {
      if (kind === 'hub') runs.hubRange.push(await measure(hub.process.child.pid!, ranged(hubUrl(), auth), 1));
      else runs.baseRange.push(await measure(baseline.child.pid!, ranged(baseline.url), 1));
    }
    log(
      `round ${r + 1}/${rounds}: full hub ${fmt.mbs(runs.hubFull[r]!.mbs)} / baseline ${fmt.mbs(runs.baseFull[r]!.mbs)}; ` +
        `ranges hub ${fmt.mbs(runs.hubRange[r]!.mbs)} / baseline ${fmt.mbs(runs.baseRange[r]!.mbs)}`,
    );
  }
  await baseline.stop();
  const mbs = (xs: Measured[]): number[] => xs.map((x) => x.mbs);
  const cpu = (xs: Measured[]): string => median(xs.map((x) => x.cpuPerGiB)).toFixed(2);
  const speeds = { hubFull: mbs(runs.hubFull), baseFull: mbs(runs.baseFull), hubRange: mbs(runs.hubRange), baseRange: mbs(runs.baseRange) };

  const sliceMiB = Math.round(slices(size)[0]![1] / MiB);
  const rows: [string, Measured[], Measured[]][] = [
    [`full GET`, runs.hubFull, runs.baseFull],
    [`${slices(size).length} x Range ${sliceMiB} MiB`, runs.hubRange, runs.baseRange],
  ];
  log(
    '\n' +
      table(
        ['download', 'hub best', 'base best', 'ratio best', 'hub median', 'base median', 'ratio median', 'CPU s/GiB hub', 'base'],
        rows.map(([name, hm, bm]) => {
          const [h, b] = [mbs(hm), mbs(bm)];
          return [name, fmt.mbs(best(h)), fmt.mbs(best(b)), fmt.ratio(best(h) / best(b)), fmt.mbs(median(h)), fmt.mbs(median(b)), fmt.ratio(median(h) / median(b)), cpu(hm), cpu(bm)];
        }),
      ),
  );
  if (busyMeasurements() > 0) log(`(${busyMeasurements()} measurements so far started while the machine was busy)`);

  // Concurrent downloads: a fresh hub process so that VmHWM is this test's peak alone.
  log(`\n${CONCURRENT} concurrent full downloads (peak RSS of the server process)…`);
  await hub.restart();
  const hubIdle = rssBytes(hub.process.child.pid!) ?? 0;
  await waitForIdle();
  let sampler = sampleRss(hub.process.child.pid!);
  const hubConc = await fetchAll(Array.from({ length: CONCURRENT }, () => full(hubUrl(), auth)[0]!), CONCURRENT);
  const hubPeak = sampler.stop();
  baseline = await spawnBaselineServer(file, bestChunk);
  const baseIdle = rssBytes(baseline.child.pid!) ?? 0;
  await waitForIdle();
  sampler = sampleRss(baseline.child.pid!);
  const baseConc = await fetchAll(Array.from({ length: CONCURRENT }, () => full(baseline.url)[0]!), CONCURRENT);
  const basePeak = sampler.stop();
  await baseline.stop();
  await hub.stop();
  log(
    table(
      [`${CONCURRENT} x full GET`, 'aggregate', 'RSS idle', 'peak RSS'],
      [
        ['hub', fmt.mbs(mbPerSec(hubConc.bytes, hubConc.ms)), fmt.mb(hubIdle), fmt.mb(hubPeak.peakBytes)],
        ['baseline', fmt.mbs(mbPerSec(baseConc.bytes, baseConc.ms)), fmt.mb(baseIdle), fmt.mb(basePeak.peakBytes)],
      ],
    ),
  );

  const ratioFull = best(speeds.hubFull) / best(speeds.baseFull);
  const ratioRange = best(speeds.hubRange) / best(speeds.baseRange);
  return [
    { bench: 'download full GET', hub: fmt.mbs(best(speeds.hubFull)), baseline: fmt.mbs(best(speeds.baseFull)), ratio: fmt.ratio(ratioFull), target: `>= ${RATIO_TARGET}`, ok: meets(ratioFull, RATIO_TARGET) },
    { bench: `download ${slices(size).length} x Range`, hub: fmt.mbs(best(speeds.hubRange)), baseline: fmt.mbs(best(speeds.baseRange)), ratio: fmt.ratio(ratioRange), target: `>= ${RATIO_TARGET}`, ok: meets(ratioRange, RATIO_TARGET) },
    {
      bench: `download ${CONCURRENT} x concurrent`,
      hub: `peak RSS ${fmt.mb(hubPeak.peakBytes)}`,
      baseline: `peak RSS ${fmt.mb(basePeak.peakBytes)}`,
      ratio: '-',
      target: '< 300 MB',
      ok: hubPeak.peakBytes < RSS_TARGET,
    },
  ];
}

if (isMain(import.meta.url)) {
  runDownloadBench()
    .then((rows) => {
      log('\n' + summaryTable(rows));
    })
    .catch((err: unknown) => {
      process.exitCode = 1;
      log(err instanceof Error ? err.stack ?? err.message : String(err));
    })
    .finally(() => runCleanups());
}
