/**
 * Runs the download, upload, S3 resolve (bench/s3-resolve.ts) and mirror
 * (bench/mirror.ts) benchmarks
 * on one shared source file, then
 * the web UI benchmark (bench/ui.ts) and the leaderboard statistics
 * (bench/leaderboard.ts) and the multi-process metadata throughput
 * (bench/multi-process.ts, with ORCHARD_TEST_PG_URL), and prints a summary table.
 *
 *   npm run bench                      (builds first, then runs this file)
 *   BENCH_SIZE_MB=64 npm run bench     (a quick run)
 *
 * Environment: BENCH_SIZE_MB (MiB, default 1024), BENCH_ROUNDS (rounds of
 * each measurement; default 5 for downloads, 3 for uploads, 15 for pages),
 * BENCH_CONCURRENT (default 20), BENCH_UI_REPOS (default 100000). Temp files
 * go under the OS temp folder and are removed at the end (also on Ctrl-C).
 * Targets are ratios against baselines measured in the same run; see
 * docs/benchmarks.md.
 */
import os from 'node:os';
import { MiB, benchSizeBytes, createSourceFile, isMain, log, runCleanups, summaryTable, tempDir, type SummaryRow } from './common.js';
import { runDownloadBench } from './download.js';
import { runLeaderboardBench } from './leaderboard.js';
import { runMirrorBench } from './mirror.js';
import { runMultiProcessBench } from './multi-process.js';
import { runS3ResolveBench } from './s3-resolve.js';
import { runUiBench } from './ui.js';
import { runUploadBench } from './upload.js';

async function main(): Promise<void> {
  const size = benchSizeBytes();
  log(`Orchard benchmarks: ${size / MiB} MiB, node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`);
  log(`generating ${size / MiB} MiB of random bytes in ${os.tmpdir()}…`);
  const source = createSourceFile(await tempDir('orchard-bench-src-'), size);
  const rows: SummaryRow[] = [];
  rows.push(...(await runDownloadBench({ source })));
  rows.push(...(await runUploadBench({ source })));
  rows.push(...(await runS3ResolveBench({ source })));
  rows.push(...(await runMirrorBench({ source })));
  rows.push(...(await runUiBench()));
  rows.push(...(await runLeaderboardBench()));
  rows.push(...(await runMultiProcessBench()));
  log(`\n== Summary (${size / MiB} MiB; ratios of best runs, hub / baseline measured in the same run) ==`);
  log(summaryTable(rows));
}

if (isMain(import.meta.url)) {
  main()
    .catch((err: unknown) => {
      process.exitCode = 1;
      log(err instanceof Error ? err.stack ?? err.message : String(err));
    })
    .finally(() => runCleanups());
}
