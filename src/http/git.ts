import { once } from 'node:events';
import { log } from '../core/log.js';
import { HubError } from '../core/errors.js';
import type { RepoRef } from '../core/repo-id.js';
import { spawnGit } from '../repo/git.js';
import { gitRepoFor } from '../services/hub.js';
import { markPending, syncRepo } from '../services/indexer.js';
import { repoForPush } from '../services/pull-requests.js';
import { getRepo } from '../services/repos.js';
import { countGitFetch } from './api/social.js';
import type { Ctx } from './context.js';

/** How the hub lets the pre-receive hook call back to it (see src/repo/pre-receive-hook.ts). */
export interface HookConfig {
  hooksDir: string;
  url: string;
  token: string;
}

const SERVICES = new Set(['git-upload-pack', 'git-receive-pack']);

/**
 * git smart HTTP through `git http-backend` (spec 7.1). Access is decided
 * here, before git runs: reads need read access, pushes write access, and
 * an anonymous caller is challenged with 401 + `WWW-Authenticate` so that git
 * asks its credential helper. A private repo answers exactly like a missing one.
 */
export async function gitRoute(ctx: Ctx, ref: RepoRef, rest: string, hook: HookConfig): Promise<void> {
  ctx.errorFlavor = 'git';
  let service: string;
  if (rest === 'info/refs' && ctx.method === 'GET') {
    service = ctx.url.searchParams.get('service') ?? '';
    if (!SERVICES.has(service)) throw new HubError('Forbidden', 'Only smart HTTP (git-upload-pack, git-receive-pack) is supported');
  } else if ((rest === 'git-upload-pack' || rest === 'git-receive-pack') && ctx.method === 'POST') {
    service = rest;
  } else if (rest === 'HEAD' && ctx.method === 'GET') {
    service = 'git-upload-pack';
  } else {
    throw new HubError('NotFound', 'Not found');
  }
  const push = service === 'git-receive-pack';
  const actor = await ctx.actor();
  if (push && actor.kind === 'anonymous') throw new HubError('Unauthorized', 'Authentication required to push');
  // A pusher without write access may still update refs/pr/<n> of their own pull requests (the hook checks each ref).
  const { repo, writer } = push ? await repoForPush(ctx.hub, actor, ref) : { repo: await getRepo(ctx.hub, actor, ref, 'content'), writer: false };
  if (push && ctx.method === 'POST') await markPending(ctx.hub, repo.id);

  const env: Record<string, string> = {
    GIT_PROJECT_ROOT: ctx.hub.gitRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: `/${repo.id}.git/${rest}`,
    REQUEST_METHOD: ctx.method,
    QUERY_STRING: ctx.url.search.slice(1),
    CONTENT_TYPE: String(ctx.req.headers['content-type'] ?? ''),
    REMOTE_USER: actor.kind === 'user' ? actor.user.name : 'anonymous',
    REMOTE_ADDR: ctx.req.socket.remoteAddress ?? '',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'core.hooksPath',
    GIT_CONFIG_VALUE_0: hook.hooksDir,
    ORCHARD_HOOK_URL: hook.url,
    ORCHARD_HOOK_TOKEN: hook.token,
    ORCHARD_REPO_ID: repo.id,
    ORCHARD_DEFAULT_BRANCH: repo.default_branch,
    ORCHARD_PUSHER_ID: actor.kind === 'user' ? actor.user.id : '',
    ORCHARD_PUSHER_WRITES: writer ? '1' : '0',
  };
  if (service === 'git-upload-pack' && ctx.method === 'POST') countGitFetch(ctx, repo);
  // Whatever receive-pack did (even a partial success across several refs),
  // bring the index up to date before git hears the push is done, so that
  // the API shows it as soon as the client returns.
  await runHttpBackend(ctx, env, push && ctx.method === 'POST' ? () => syncRepo(ctx.hub, repo.id) : undefined);
}

/**
 * Runs `git http-backend` for this request with the CGI environment `env` (GIT_PROJECT_ROOT, PATH_INFO,
 * …; the request's own headers are added here) and relays its answer; `beforeEnd` runs after git
 * exits and before the response ends.
 */
export async function runHttpBackend(ctx: Ctx, env: Record<string, string>, beforeEnd?: () => Promise<void>): Promise<void> {
  const protocol = ctx.req.headers['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;
  const encoding = ctx.req.headers['content-encoding'];
  if (typeof encoding === 'string') env.HTTP_CONTENT_ENCODING = encoding;
  const length = ctx.req.headers['content-length'];
  if (typeof length === 'string') env.CONTENT_LENGTH = length;

  const child = spawnGit(undefined, ['http-backend'], { env });
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  child.stdin!.on('error', () => undefined);
  ctx.req.pipe(child.stdin!);
  try {
    await relayCgi(ctx, child.stdout!);
  } finally {
    const code = await exited;
    if (code !== 0 && stderr.length) log.warn('git http-backend failed', { request_id: ctx.requestId, exit_code: code, stderr: Buffer.concat(stderr).toString('utf8').trim() });
    await beforeEnd?.();
    if (!ctx.res.writableEnded) ctx.res.end();
  }
}

/** Turns the CGI answer (headers, blank line, body) into the HTTP response, streaming the body. */
async function relayCgi(ctx: Ctx, stdout: NodeJS.ReadableStream): Promise<void> {
  let head = Buffer.alloc(0);
  const iterator = (stdout as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let rest: Buffer | undefined;
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) break;
    head = Buffer.concat([head, value]);
    const sep = head.indexOf('\r\n\r\n');
    const sepLen = sep >= 0 ? 4 : 2;
    const at = sep >= 0 ? sep : head.indexOf('\n\n');
    if (at >= 0) {
      rest = head.subarray(at + sepLen);
      head = head.subarray(0, at);
      break;
    }
    if (head.length > 64 * 1024) throw new HubError('Internal', 'git http-backend sent oversized headers');
  }
  if (rest === undefined) throw new HubError('Internal', 'git http-backend ended without an answer');
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of head.toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  ctx.res.writeHead(status, headers);
  if (rest.length) ctx.res.write(rest);
  // The response is ended by the caller, after the index has caught up.
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) return;
    if (ctx.res.destroyed) return;
    if (!ctx.res.write(value)) await Promise.race([once(ctx.res, 'drain'), once(ctx.res, 'close')]);
  }
}
