import { HubError } from '../core/errors.js';
import { spawnGit } from '../repo/git.js';

/**
 * git for replication: fetch and push over smart HTTP to another hub, and
 * bundles. The token travels only in `http.extraHeader`, set through git's
 * `GIT_CONFIG_COUNT` environment (never a config file, never the command line
 * that `ps` shows, never the URL that git prints in its messages).
 */
export function remoteGitEnv(token: string | undefined): Record<string, string> {
  const config: [string, string][] = [
    // A stalled transfer fails after a minute below 1 KB/s instead of hanging forever.
    ['http.lowSpeedLimit', '1000'],
    ['http.lowSpeedTime', '60'],
  ];
  if (token) config.push(['http.extraHeader', `Authorization: Bearer ${token}`]);
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(config.length) };
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

export interface GitCallOptions {
  env?: Record<string, string>;
  input?: string;
  signal?: AbortSignal | undefined;
  /** exit codes that are answers, not failures */
  okCodes?: number[];
}

/**
 * Runs git and buffers its (small) output; an abort kills the process. A
 * failure becomes a HubError whose message is git's own last lines, which
 * never hold the token (see `remoteGitEnv`).
 */
export function gitCall(gitDir: string | undefined, args: string[], opts: GitCallOptions = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new HubError('ServiceUnavailable', 'Replication was stopped'));
    const child = spawnGit(gitDir, args, { env: opts.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const onAbort = (): void => {
      child.kill('SIGTERM');
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', onAbort);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (opts.signal?.aborted) return reject(new HubError('ServiceUnavailable', 'Replication was stopped'));
      if (code === 0 || (opts.okCodes ?? []).includes(code ?? -1)) return resolve({ stdout, stderr, code: code ?? -1 });
      const lines = stderr.trim().split('\n').filter((l) => l.trim()).slice(-3).join(' / ');
      reject(new HubError('BadGateway', `git ${args[0]} failed: ${lines || `exit code ${code}`}`));
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(opts.input ?? '');
  });
}

/** `refname → oid` of the refs under `prefixes`, unpeeled (an annotated tag names its tag object). */
export async function refsUnder(gitDir: string, prefixes: string[]): Promise<Map<string, string>> {
  const { stdout } = await gitCall(gitDir, ['for-each-ref', '--format=%(objectname) %(refname)', ...prefixes]);
  const refs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) refs.set(line.slice(sp + 1), line.slice(0, sp));
  }
  return refs;
}

/** Whether `ancestor` is reachable from `descendant` (a fast-forward). */
export async function isAncestor(gitDir: string, ancestor: string, descendant: string): Promise<boolean> {
  const r = await gitCall(gitDir, ['merge-base', '--is-ancestor', ancestor, descendant], { okCodes: [1, 128] });
  return r.code === 0;
}
