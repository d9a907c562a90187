/**
 * Shared pieces of the benchmarks: sizes from the environment, the random
 * source file, child processes (the hub, the baseline server, the client),
 * RSS sampling and formatting.
 *
 * The machine the benchmarks run on is shared and noisy, so nothing here is
 * an absolute pass/fail: every hub number is printed next to a baseline
 * measured in the same run, alternating, and compared as a ratio.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MiB = 1024 * 1024;

/** `BENCH_SIZE_MB` (MiB, default 1024): the size of the test file. */
export function benchSizeBytes(): number {
  const raw = process.env.BENCH_SIZE_MB;
  const mb = raw === undefined || raw === '' ? 1024 : Number(raw);
  if (!Number.isInteger(mb) || mb < 4) throw new Error(`BENCH_SIZE_MB must be an integer >= 4, got ${JSON.stringify(raw)}`);
  return mb * MiB;
}

/** `BENCH_ROUNDS` overrides the number of alternating rounds of each measurement. */
export function benchRounds(fallback: number): number {
  const raw = process.env.BENCH_ROUNDS;
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_ROUNDS must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(metaUrl);
}

// ---------------------------------------------------------------------------
// Cleanup: temp folders and child processes go away on success, on error and on Ctrl-C.

const cleanups = new Set<() => Promise<void> | void>();

export function onCleanup(fn: () => Promise<void> | void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

export async function runCleanups(): Promise<void> {
  const fns = [...cleanups].reverse();
  cleanups.clear();
  for (const fn of fns) {
    try {
      await fn();
    } catch {
      // Best effort.
    }
  }
}

let signalsHooked = false;
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: cleaning up\n`);
      runCleanups().finally(() => process.exit(130));
    });
  }
}

export async function tempDir(prefix: string): Promise<string> {
  hookSignals();
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------------------
// The source file: random bytes, written once, hashed while written.

export interface SourceFile {
  path: string;
  size: number;
  /** sha256 hex of the content: the LFS oid. */
  oid: string;
}

export function createSourceFile(dir: string, size: number): SourceFile {
  const file = path.join(dir, 'source.bin');
  const buf = Buffer.allocUnsafe(MiB);
  const hash = createHash('sha256');
  const fd = openSync(file, 'w');
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(MiB, size - done);
      const chunk = buf.subarray(0, n);
      randomFillSync(chunk);
      hash.update(chunk);
      for (let off = 0; off < n; ) off += writeSync(fd, chunk, off, n - off);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return { path: file, size, oid: hash.digest('hex') };
}

/** Flushes dirty pages, so that one measurement's writeback does not land in the next one. */
export function syncDisks(): void {
  try {
    execFileSync('sync');
  } catch {
    // Not fatal: only makes the numbers a little noisier.
  }
}

// ---------------------------------------------------------------------------
// Child processes.

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const CLIENT_SCRIPT = path.join(BENCH_DIR, 'client.js');
export const BASELINE_SERVER_SCRIPT = path.join(BENCH_DIR, 'baseline-server.js');
export const BASELINE_WRITE_SCRIPT = path.join(BENCH_DIR, 'baseline-write.js');

/** Kills a child we started (by its own handle, never by name) and waits for it to exit. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Runs `node script` with one JSON argument and returns the JSON it prints on its last stdout line. */
export function runNodeJson<T>(script: string, arg: unknown, opts: { onSpawn?: (child: ChildProcess) => void } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const remove = onCleanup(() => stopChild(child, 'SIGKILL'));
    opts.onSpawn?.(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      remove();
      if (code !== 0) {
        reject(new Error(`${path.basename(script)} exited with ${code ?? signal}: ${err.trim() || out.trim()}`));
        return;
      }
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${path.basename(script)} printed no JSON result: ${out.trim()} ${err.trim()}`));
      }
    });
  });
}

export interface BaselineServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The baseline: a bare Node http server (own process) streaming one file with the given read chunk size. */
export async function spawnBaselineServer(file: string, highWaterMark: number): Promise<BaselineServer> {
  const child = spawn(process.execPath, [BASELINE_SERVER_SCRIPT, JSON.stringify({ file, highWaterMark })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const remove = onCleanup(() => stopChild(child, 'SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`baseline server exited with ${code}: ${out}`)));
  });
  return {
    url,
    child,
    async stop() {
      remove();
      await stopChild(child);
    },
  };
}

// ---------------------------------------------------------------------------
// Memory of another process, from /proc (Linux).

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface RssSampler {
  /** Stops polling; returns the peak in bytes: max(polled VmRSS, VmHWM). */
  stop(): { peakBytes: number; peakPolledBytes: number; hwmBytes: number | undefined };
}

/** Polls VmRSS of `pid` every `intervalMs`; VmHWM (the kernel's own peak since the process started) is read at the end. */
export function sampleRss(pid: number, intervalMs = 25): RssSampler {
  let peak = procStatusKb(pid, 'VmRSS') ?? 0;
  const timer = setInterval(() => {
    const kb = procStatusKb(pid, 'VmRSS');
    if (kb !== undefined && kb > peak) peak = kb;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const hwm = procStatusKb(pid, 'VmHWM');
      return { peakBytes: Math.max(peak, hwm ?? 0) * 1024, peakPolledBytes: peak * 1024, hwmBytes: hwm === undefined ? undefined : hwm * 1024 };
    },
  };
}

/** CPU time (user + system, all threads) a process has used so far, in seconds; from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

function cpuTimes(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
}

/**
 * Waits (at most `BENCH_IDLE_WAIT_S` seconds, default 20; 0 turns it off)
 * until the machine has been mostly idle (>= 70%) for one second, so that a
 * measurement does not start in the middle of someone else's build. Returns
 * false when it gave up (the measurement runs anyway).
 */
export async function waitForIdle(): Promise<boolean> {
  const limitS = Number(process.env.BENCH_IDLE_WAIT_S ?? 20);
  if (!(limitS > 0)) return true;
  const deadline = Date.now() + limitS * 1000;
  while (Date.now() < deadline) {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 1000));
    const d = cpuTimes().map((x, i) => x - (a[i] ?? 0));
    const total = d.reduce((x, y) => x + y, 0);
    if (total > 0 && ((d[3] ?? 0) + (d[4] ?? 0)) / total >= 0.7) return true; // idle + iowait
  }
  busyWaits++;
  return false;
}

let busyWaits = 0;
/** How many measurements started on a busy machine because `waitForIdle` gave up. */
export function busyMeasurements(): number {
  return busyWaits;
}

export function rssBytes(pid: number): number | undefined {
  const kb = procStatusKb(pid, 'VmRSS');
  return kb === undefined ? undefined : kb * 1024;
}

// ---------------------------------------------------------------------------
// Numbers.

export function mbPerSec(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function best(xs: number[]): number {
  return Math.max(...xs);
}

/** A ratio meets its target as printed (two decimals), so that the table never says "0.90 … NO" against 0.9. */
export function meets(ratio: number, target: number): boolean {
  return Number(ratio.toFixed(2)) >= target;
}

export const fmt = {
  mbs: (x: number): string => `${x.toFixed(0)} MB/s`,
  ratio: (x: number): string => x.toFixed(2),
  mb: (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`,
};

/** A plain-text table with aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One line of the summary printed by run-all. */
export interface SummaryRow {
  bench: string;
  hub: string;
  baseline: string;
  ratio: string;
  target: string;
  /** Undefined for rows printed for information only. */
  ok: boolean | undefined;
}

export function summaryTable(rows: SummaryRow[]): string {
  return table(['benchmark', 'hub', 'baseline', 'ratio', 'target', 'met'], rows.map((r) => [r.bench, r.hub, r.baseline, r.ratio, r.target, r.ok === undefined ? '-' : r.ok ? 'yes' : 'NO']));
}

export function log(msg: string): void {
  process.stdout.write(`${msg}\n`);
}
