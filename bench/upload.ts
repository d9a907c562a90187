/**
 * Upload benchmark: a large LFS object PUT to the signed URL of the batch API
 * (the hub hashes, checks, writes, fsyncs and renames it into place), against
 * plain Node in one process reading the same file in 1 MiB chunks, hashing
 * (sha256) and writing it to another file.
 *
 *   npm run build && node dist/bench/upload.js      (BENCH_SIZE_MB=64 for a quick run)
 *
 * The client that PUTs is its own process. Every round uploads to a new repo,
 * so that the hub cannot skip the body as already stored (it never does
 * across repos: the uploader must prove it has the bytes). `sync` runs before
 * every measurement so that the previous one's writeback does not count. A second hub with
 * `ORCHARD_UPLOAD_WORKERS=2` (or `BENCH_UPLOAD_WORKERS`: sha256 and writes on worker threads) runs in
 * turn with the others: the effect of the worker threads, measured in the same run.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  BASELINE_WRITE_SCRIPT, MiB, benchRounds, benchSizeBytes, best, busyMeasurements, cpuSeconds, createSourceFile, fmt, isMain, log, mbPerSec,
  median, meets, runCleanups, runNodeJson, sampleRss, summaryTable, syncDisks, table, tempDir, waitForIdle, type SourceFile, type SummaryRow,
} from './common.js';
import { batchUpload, type BenchHub, createRepo, objectPath, putObject, startBenchHub, verifyObject } from './hub.js';

const RATIO_TARGET = 0.8;

interface BaselineRun {
  ms: number;
  fsyncMs: number;
  cpuS: number;
  fsyncCpuS: number;
  sha256: string;
}

export interface UploadOptions {
  source?: SourceFile;
  rounds?: number;
}

export async function runUploadBench(opts: UploadOptions = {}): Promise<SummaryRow[]> {
  const size = opts.source?.size ?? benchSizeBytes();
  const rounds = opts.rounds ?? benchRounds(5);
  log(`\n== Upload benchmark: ${size / MiB} MiB LFS object, ${rounds} alternating rounds ==`);
  const work = await tempDir('orchard-bench-up-');
  const source = opts.source ?? createSourceFile(work, size);
  const dst = path.join(work, 'baseline-copy.bin');

  type Variant = 'sync' | 'stream' | 'ring';
  const baselineRun = async (variant: Variant): Promise<BaselineRun> => {
    syncDisks();
    await waitForIdle();
    const r = await runNodeJson<BaselineRun>(BASELINE_WRITE_SCRIPT, { src: source.path, dst, variant });
    await rm(dst, { force: true });
    if (r.sha256 !== source.oid) throw new Error(`baseline hashed ${r.sha256}, expected ${source.oid}`);
    return r;
  };

  log('calibrating the baseline (sync calls, streams, a ring of reused buffers)…');
  // Two runs of each, in turn; the best run of each counts.
  const variants: Variant[] = ['sync', 'stream', 'ring'];
  const none: BaselineRun = { ms: Infinity, fsyncMs: 0, cpuS: 0, fsyncCpuS: 0, sha256: '' };
  const calib: Record<Variant, BaselineRun> = { sync: none, stream: none, ring: none };
  for (const v of [...variants, ...[...variants].reverse()]) {
    const run = await baselineRun(v);
    if (run.ms < calib[v].ms) calib[v] = run;
  }
  const variant = variants.reduce((a, b) => (calib[b].ms < calib[a].ms ? b : a));
  log(
    table(
      ['baseline variant', 'hash+write', '+ fsync'],
      variants.map((v) => [v, fmt.mbs(mbPerSec(size, calib[v].ms)), fmt.mbs(mbPerSec(size, calib[v].ms + calib[v].fsyncMs))]),
    ),
  );
  log(`baseline uses the ${variant} variant`);

  // The hub as shipped (hashing on its main thread), and the same hub with hashing worker threads, in turn.
  const hubs = { hub: await startBenchHub(), workers: await startBenchHub({ ORCHARD_UPLOAD_WORKERS: process.env.BENCH_UPLOAD_WORKERS ?? '2' }) };
  const hubUpload = async (hub: BenchHub, repo: string): Promise<{ ms: number; cpuS: number; verify: string }> => {
    await createRepo(hub, repo);
    const { upload, verify } = await batchUpload(hub, `alice/${repo}`, source.oid, source.size);
    // Not timed: remove the copy stored by the previous upload, so that every upload stores a new object
    // (a rename over a 1 GiB file would free it inside the timed PUT; the baseline's copy is removed untimed too).
    await rm(objectPath(hub, source.oid), { force: true });
    syncDisks();
    await waitForIdle();
    const cpu0 = cpuSeconds(hub.process.child.pid!);
    const ms = await putObject(upload, source);
    return { ms, cpuS: cpuSeconds(hub.process.child.pid!) - cpu0, verify };
  };
  // One untimed upload each first, as the baseline's calibration runs were: the first writes of a run are often slower.
  await hubUpload(hubs.hub, 'bench-upload-warmup');
  await hubUpload(hubs.workers, 'bench-upload-warmup');
  const speeds = { hub: [] as number[], workers: [] as number[] };
  const cpu = { hub: [] as number[], workers: [] as number[] };
  const baseSpeeds: number[] = [];
  const baseFsyncSpeeds: number[] = [];
  const baseCpu: number[] = [];
  const baseFsyncCpu: number[] = [];
  let hubPeakRss = 0;
  const kinds = ['base', 'hub', 'workers'] as const;
  for (let r = 0; r < rounds; r++) {
    // Rotate the order so that no side always runs first (or right after the baseline's writes).
    const order = kinds.map((_, i) => kinds[(i + r) % kinds.length]!);
    for (const kind of order) {
      if (kind === 'base') {
        const b = await baselineRun(variant);
        baseSpeeds.push(mbPerSec(size, b.ms));
        baseFsyncSpeeds.push(mbPerSec(size, b.ms + b.fsyncMs));
        baseCpu.push(b.cpuS);
        baseFsyncCpu.push(b.cpuS + b.fsyncCpuS);
      } else {
        const hub = hubs[kind];
        const sampler = sampleRss(hub.process.child.pid!);
        const { ms, cpuS, verify } = await hubUpload(hub, `bench-upload-${r}`);
        cpu[kind].push(cpuS);
        if (kind === 'hub') hubPeakRss = Math.max(hubPeakRss, sampler.stop().peakBytes);
        else sampler.stop();
        speeds[kind].push(mbPerSec(size, ms));
        await verifyObject(hub, verify, source);
      }
    }
    log(`round ${r + 1}/${rounds}: hub ${fmt.mbs(speeds.hub[r]!)}, hub with hashing workers ${fmt.mbs(speeds.workers[r]!)} / baseline ${fmt.mbs(baseSpeeds[r]!)} (with fsync ${fmt.mbs(baseFsyncSpeeds[r]!)})`);
  }
  await hubs.hub.stop();
  await hubs.workers.stop();
  const hubSpeeds = speeds.hub;

  const perGiB = (xs: number[]): string => (median(xs) / (size / 2 ** 30)).toFixed(2);
  const ratio = best(hubSpeeds) / best(baseSpeeds);
  const ratioFsync = best(hubSpeeds) / best(baseFsyncSpeeds);
  log(
    '\n' +
      table(
        ['upload', 'best', 'median', 'hub/this (best)', 'hub/this (median)', 'CPU s/GiB'],
        [
          ['hub PUT (hash+write+fsync)', fmt.mbs(best(hubSpeeds)), fmt.mbs(median(hubSpeeds)), '', '', perGiB(cpu.hub)],
          ['hub PUT, hashing workers', fmt.mbs(best(speeds.workers)), fmt.mbs(median(speeds.workers)), fmt.ratio(best(hubSpeeds) / best(speeds.workers)), fmt.ratio(median(hubSpeeds) / median(speeds.workers)), perGiB(cpu.workers)],
          ['baseline hash+write', fmt.mbs(best(baseSpeeds)), fmt.mbs(median(baseSpeeds)), fmt.ratio(ratio), fmt.ratio(median(hubSpeeds) / median(baseSpeeds)), perGiB(baseCpu)],
          ['baseline hash+write+fsync', fmt.mbs(best(baseFsyncSpeeds)), fmt.mbs(median(baseFsyncSpeeds)), fmt.ratio(ratioFsync), fmt.ratio(median(hubSpeeds) / median(baseFsyncSpeeds)), perGiB(baseFsyncCpu)],
        ],
      ),
  );
  log(`hub peak RSS during uploads: ${fmt.mb(hubPeakRss)}; CPU is the server's (hub) or the process's (baseline), all threads; the PUT client is not counted`);
  if (busyMeasurements() > 0) log(`(${busyMeasurements()} measurements so far started while the machine was busy)`);
  return [
    { bench: 'upload PUT', hub: fmt.mbs(best(hubSpeeds)), baseline: fmt.mbs(best(baseSpeeds)), ratio: fmt.ratio(ratio), target: `>= ${RATIO_TARGET}`, ok: meets(ratio, RATIO_TARGET) },
    { bench: 'upload PUT, hashing workers', hub: fmt.mbs(best(speeds.workers)), baseline: fmt.mbs(best(baseSpeeds)), ratio: fmt.ratio(best(speeds.workers) / best(baseSpeeds)), target: '(info)', ok: undefined },
    { bench: 'upload PUT (vs baseline + fsync)', hub: fmt.mbs(best(hubSpeeds)), baseline: fmt.mbs(best(baseFsyncSpeeds)), ratio: fmt.ratio(ratioFsync), target: '(info)', ok: undefined },
  ];
}

if (isMain(import.meta.url)) {
  runUploadBench()
    .then((rows) => {
      log('\n' + summaryTable(rows));
    })
    .catch((err: unknown) => {
      process.exitCode = 1;
      log(err instanceof Error ? err.stack ?? err.message : String(err));
    })
    .finally(() => runCleanups());
}
