/**
 * `orchard serve` child processes that share one database, one data folder
 * and (optionally) one S3 bucket: several processes acting as one hub
 * (docs/operations.md). Used by test/multi-process.test.ts and
 * bench/multi-process.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './hub.js';

export interface HubProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Sends the signal and waits for the exit (SIGKILL: no clean-up at all, as a crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface HubProcessOptions {
  dataDir: string;
  /** undefined: the data folder's SQLite file. */
  databaseUrl?: string;
  /** 0: an ephemeral port; a fixed one to restart a process where it was. */
  port?: number;
  /** Added to the environment: `ORCHARD_S3_*` for a shared bucket, limits, … */
  env?: Record<string, string>;
}

/** Starts `orchard serve --database URL --data DIR` and waits until it listens. */
export async function startHubProcess(opts: HubProcessOptions): Promise<HubProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(opts.port ?? 0), '--data', opts.dataDir, ...(opts.databaseUrl ? ['--database', opts.databaseUrl] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // Request lines would fill the pipe buffers of a long run; warnings and errors stay visible.
      ORCHARD_LOG_LEVEL: 'warn',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...opts.env,
    },
  });
  let log = '';
  const onData = (d: Buffer): void => {
    // Keep the tail only: enough to explain a failure.
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const url = await new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) resolve(m[1]!);
    };
    child.stderr!.on('data', check);
    child.stdout!.on('data', check);
    child.once('exit', (code, signal) => reject(new Error(`hub exited with ${code ?? signal}: ${log}`)));
    setTimeout(() => reject(new Error(`hub did not start within 30 s: ${log}`)), 30_000).unref();
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    output: () => log,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}
