import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { HubError } from '../core/errors.js';

/**
 * Runs the system `git` with argument hygiene (after gitea's
 * modules/git/command.go): arguments are always an array, never a shell
 * string; untrusted values are validated by the caller and placed after `--`
 * where git allows it; the environment is isolated from the user's config.
 */
export function gitEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.ORCHARD_GIT_HOME ?? '/nonexistent',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    TZ: 'UTC',
    ...extra,
  };
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

export interface GitRunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  /** exit codes that are not errors (e.g. 1 for "not found" answers) */
  okCodes?: number[];
  cwd?: string;
}

/** Runs `git --git-dir=<dir> <args>` and buffers its output (for small outputs only). */
export function runGit(gitDir: string | undefined, args: string[], opts: GitRunOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawnGit(gitDir, args, { env: opts.env, cwd: opts.cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1 };
      if (code === 0 || (opts.okCodes ?? []).includes(code ?? -1)) resolve(result);
      else reject(new HubError('Internal', `git ${args[0]} failed (${code}): ${result.stderr.trim().slice(0, 500)}`));
    });
    child.stdin!.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

export function spawnGit(gitDir: string | undefined, args: string[], opts: { env?: Record<string, string> | undefined; cwd?: string | undefined } = {}): ChildProcess {
  const full = gitDir ? [`--git-dir=${gitDir}`, ...args] : args;
  const spawnOpts: SpawnOptions = { env: gitEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] };
  if (opts.cwd) spawnOpts.cwd = opts.cwd;
  return spawn('git', full, spawnOpts);
}

/** Refuses values that git could read as an option. */
export function safeArg(value: string): string {
  if (value.startsWith('-')) throw new HubError('BadRequest', `Invalid value ${JSON.stringify(value)}`);
  return value;
}
