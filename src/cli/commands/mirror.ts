import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { UrlSigner } from '../../auth/signed-urls.js';
import { HubError } from '../../core/errors.js';
import { formatSize } from '../../core/sizes.js';
import { parseRepoId, parseRepoType, type RepoRef, typeFromPlural } from '../../core/repo-id.js';
import { pullRepo, type PullResult } from '../../mirror/replicate-pull.js';
import { type RemoteRepo, parseRemoteRepo, remoteDisplay } from '../../mirror/replicate-remote.js';
import { runLink } from '../../mirror/replicate-run.js';
import { type Credentials, type Direction, findLink, remoteOf, type ReplicationRow, saveLink } from '../../mirror/replicate-store.js';
import type { PushResult } from '../../mirror/replicate-push.js';
import { HubEvents } from '../../services/events.js';
import type { Hub } from '../../services/hub.js';
import { findRepo, type RepoRow } from '../../services/repos.js';
import { createBlobStore } from '../../storage/create-blob-store.js';
import { processScratchDir } from '../../storage/process-files.js';
import { hubLimits } from '../../main.js';
import type { Command, CommandContext } from '../command.js';
import { stringFlag } from '../command.js';

/**
 * The services as `orchard serve` composes them, on the same data folder and
 * database, for commands that copy repos in and out. A hub may be running on
 * the same data folder: the blob store's and this process's scratch folders
 * are per process, so neither disturbs the other's uploads. Events have no
 * listeners here (webhooks fire for scheduled syncs, which run inside the hub).
 */
export async function cliHub(ctx: CommandContext): Promise<Hub> {
  const db = await ctx.db();
  const { config } = ctx;
  const gitRoot = path.join(config.dataDir, 'git');
  await mkdir(gitRoot, { recursive: true });
  const secret = await db.selectFrom('settings').select('value').where('key', '=', 'signing_secret').executeTakeFirst();
  return {
    db,
    dialect: config.databaseUrl && /^postgres(ql)?:\/\//.test(config.databaseUrl) ? 'postgres' : 'sqlite',
    blobs: await createBlobStore(config),
    signer: new UrlSigner(secret ? Buffer.from(secret.value, 'hex') : randomBytes(32)),
    gitRoot,
    tmpDir: await processScratchDir(path.join(config.dataDir, 'tmp')),
    events: new HubEvents(),
    limits: hubLimits(config),
  };
}

/** `alice/model`, `datasets/alice/data` or `--type dataset alice/data`. */
export function localRef(ctx: CommandContext, spec: string): RepoRef {
  const parts = spec.split('/');
  if (parts.length === 3) {
    const type = typeFromPlural(parts[0]!);
    if (!type) throw new HubError('BadRequest', `Invalid repo ${JSON.stringify(spec)}: expected NAMESPACE/NAME or datasets/NAMESPACE/NAME`);
    return parseRepoId(type, `${parts[1]}/${parts[2]}`);
  }
  return parseRepoId(parseRepoType(stringFlag(ctx, 'type')), spec);
}

async function localRepo(ctx: CommandContext, hub: Hub, spec: string): Promise<RepoRow> {
  const ref = localRef(ctx, spec);
  const row = await findRepo(hub, ref);
  if (!row) throw new HubError('RepoNotFound', `No ${ref.type} repo named ${ref.namespace}/${ref.name} here`);
  return row;
}

/** `30s`, `15m`, `6h`, `1d`, or seconds; `off` for none. */
export function parseEvery(value: string): number | null {
  if (value === 'off' || value === 'never') return null;
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(value.trim());
  const n = m ? Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's'] : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new HubError('BadRequest', `Invalid interval ${JSON.stringify(value)}: use e.g. 30s, 15m, 6h, 1d, or off`);
  return n;
}

function every(ctx: CommandContext): number | null | undefined {
  const v = stringFlag(ctx, 'every');
  return v === undefined ? undefined : parseEvery(v);
}

/** `--token T` (stored, and used now) or `--token-env VAR` (only the name is stored; the value is read now and by the hub when it syncs). */
function credentials(ctx: CommandContext): { creds: Credentials; token: string | undefined } {
  const token = stringFlag(ctx, 'token');
  const tokenEnv = stringFlag(ctx, 'token-env');
  if (token && tokenEnv) throw new HubError('BadRequest', 'Give either --token or --token-env, not both');
  if (tokenEnv) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv)) throw new HubError('BadRequest', `Invalid environment variable name ${JSON.stringify(tokenEnv)}`);
    const value = process.env[tokenEnv];
    if (!value) throw new HubError('BadRequest', `The environment variable ${tokenEnv} is not set`);
    return { creds: { tokenEnv }, token: value };
  }
  return { creds: token ? { token } : {}, token };
}

const owner = (): string => `cli:${process.pid}`;

function report(ctx: CommandContext, what: string, r: PullResult | PushResult): void {
  const lfs = r.lfs.objects ? `${r.lfs.objects} LFS object(s), ${formatSize(r.lfs.bytes)}` : 'no LFS object';
  if ('forced' in r) {
    ctx.err(`${what}: ${r.updated.length} ref(s) updated, ${r.deleted.length} deleted, ${lfs} copied\n`);
    for (const f of r.forced) ctx.err(`  ${f} was rewritten (force-pushed) at the source: mirrored, its old commits are no longer on this branch\n`);
    for (const d of r.deleted) ctx.err(`  ${d} was deleted at the source: deleted here too\n`);
    ctx.out(JSON.stringify({ repo: `${r.repo.namespace}/${r.repo.name}`, type: r.repo.type, created: r.created, updated: r.updated, deleted: r.deleted, forced: r.forced, lfs: r.lfs }) + '\n');
  } else {
    ctx.err(`${what}: ${r.pushed.length} ref(s) pushed, ${r.deleted.length} remote-only deleted, ${lfs} sent${r.created ? ' (remote repo created)' : ''}\n`);
    ctx.out(JSON.stringify({ created: r.created, pushed: r.pushed, deleted: r.deleted, lfs: r.lfs }) + '\n');
  }
}

export const mirrorPull: Command = {
  name: 'mirror pull',
  usage: `mirror pull URL/REPO [--as NAMESPACE/NAME] [--token T | --token-env VAR] [--every 6h] [--type T] [--data DIR]
  mirror pull LOCAL_REPO [--data DIR]
        Copy a repo from another hub (full history, LFS objects) as a read-only mirror,
        or bring a mirror up to date (only what changed is transferred). docs/replication.md`,
  async run(ctx) {
    const spec = ctx.args[0];
    if (!spec) return 2;
    const hub = await cliHub(ctx);
    const { creds, token } = credentials(ctx);
    let result: PullResult;
    if (!spec.includes('://')) {
      const repo = await localRepo(ctx, hub, spec);
      const link = await findLink(hub.db, repo.id, 'pull');
      if (!link) throw new HubError('BadRequest', `${spec} is not a mirror: give the source as URL/REPO`);
      const saved = await saveLink(hub.db, repo.id, 'pull', remoteOf(link), creds, every(ctx));
      result = (await runLink(hub, saved, owner(), process.env)) as PullResult;
    } else {
      const source = parseRemoteRepo(spec, stringFlag(ctx, 'type'));
      const as = stringFlag(ctx, 'as');
      result = await pullRepo(hub, { source, as: as ? localRef(ctx, as) : undefined, token, creds, intervalSeconds: every(ctx), owner: owner(), env: process.env });
    }
    report(ctx, `${result.created ? 'Mirrored' : 'Updated'} ${result.repo.type} ${result.repo.namespace}/${result.repo.name}`, result);
    return 0;
  },
};

export const mirrorPush: Command = {
  name: 'mirror push',
  usage: `mirror push LOCAL_REPO URL/REPO [--token T | --token-env VAR] [--every 6h] [--data DIR]
        Send a local repo to another hub (created if missing): LFS objects first, then all branches
        and tags (forced; remote-only branches and tags are deleted). docs/replication.md`,
  async run(ctx) {
    const [spec, url] = ctx.args;
    if (!spec || !url) return 2;
    const hub = await cliHub(ctx);
    const repo = await localRepo(ctx, hub, spec);
    const target = parseRemoteRepo(url, repo.type);
    if (target.ref.type !== repo.type) throw new HubError('BadRequest', `${spec} is a ${repo.type}; it can only be pushed as one`);
    const { creds } = credentials(ctx);
    const link = await saveLink(hub.db, repo.id, 'push', target, creds, every(ctx));
    const result = (await runLink(hub, link, owner(), process.env)) as PushResult;
    report(ctx, `Pushed ${repo.namespace}/${repo.name} to ${remoteDisplay(target)}`, result);
    return 0;
  },
};

/** The pull link, or the push link to `--push URL/REPO`. */
async function chosenLink(ctx: CommandContext, hub: Hub, repo: RowLike): Promise<{ link: ReplicationRow; direction: Direction; remote: RemoteRepo }> {
  const push = stringFlag(ctx, 'push');
  const remote = push ? parseRemoteRepo(push, repo.type) : undefined;
  const link = await findLink(hub.db, repo.id, push ? 'push' : 'pull', remote);
  if (!link) throw new HubError('NotFound', push ? `${repo.namespace}/${repo.name} is not pushed to ${push}` : `${repo.namespace}/${repo.name} is not a mirror (to schedule a push, add --push URL/REPO)`);
  return { link, direction: link.direction, remote: remoteOf(link) };
}
type RowLike = Pick<RepoRow, 'id' | 'type' | 'namespace' | 'name'>;

export const mirrorSchedule: Command = {
  name: 'mirror schedule',
  usage: `mirror schedule LOCAL_REPO --every 6h|off [--push URL/REPO] [--data DIR]
        Sync a mirror (or a push to URL/REPO) at that interval inside the running hub (orchard serve).`,
  async run(ctx) {
    const spec = ctx.args[0];
    const interval = every(ctx);
    if (!spec || interval === undefined) return 2;
    const hub = await cliHub(ctx);
    const repo = await localRepo(ctx, hub, spec);
    const { direction, remote } = await chosenLink(ctx, hub, repo);
    await saveLink(hub.db, repo.id, direction, remote, {}, interval);
    ctx.err(interval ? `${direction} of ${spec} with ${remoteDisplay(remote)}: every ${interval} s\n` : `${direction} of ${spec} with ${remoteDisplay(remote)}: not scheduled\n`);
    return 0;
  },
};

export const mirrorList: Command = {
  name: 'mirror list',
  usage: `mirror list [--data DIR]
        Every pull, push and import, one per line: repo, direction, other hub, schedule, last sync,
        status, token (stored / env:VAR / none: never the token itself).`,
  async run(ctx) {
    const db = await ctx.db();
    const rows = await db
      .selectFrom('replications')
      .innerJoin('repos', 'repos.id', 'replications.repo_id')
      .select(['repos.type', 'repos.namespace', 'repos.name', 'replications.direction', 'replications.url', 'replications.remote_type', 'replications.remote_repo',
        'replications.interval_seconds', 'replications.last_sync_at', 'replications.last_status', 'replications.last_error', 'replications.token', 'replications.token_env'])
      .orderBy('repos.full_name_lc')
      .execute();
    for (const r of rows) {
      const remote = r.url.startsWith('bundle:') ? `${r.url}${r.remote_repo}` : remoteDisplay({ base: r.url, ref: { type: r.remote_type, namespace: r.remote_repo.split('/')[0]!, name: r.remote_repo.split('/')[1]! } });
      const token = r.token_env ? `env:${r.token_env}` : r.token ? 'stored' : 'none';
      ctx.out([`${r.type === 'model' ? '' : `${r.type}s/`}${r.namespace}/${r.name}`, r.direction, remote, r.interval_seconds ? `every ${r.interval_seconds}s` : 'manual',
        r.last_sync_at ?? '-', r.last_status + (r.last_error ? `: ${r.last_error}` : ''), `token:${token}`].join('\t') + '\n');
    }
    return 0;
  },
};

export const mirrorRemove: Command = {
  name: 'mirror remove',
  usage: `mirror remove LOCAL_REPO [--push URL/REPO] [--data DIR]
        Stop mirroring: the repo keeps its content and becomes an ordinary writable repo
        (with --push: stop pushing to URL/REPO). The stored token is deleted.`,
  async run(ctx) {
    const spec = ctx.args[0];
    if (!spec) return 2;
    const hub = await cliHub(ctx);
    const repo = await localRepo(ctx, hub, spec);
    const { link, remote } = await chosenLink(ctx, hub, repo);
    await hub.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('replications').where('id', '=', link.id).execute();
      if (link.direction === 'pull') await trx.updateTable('repos').set({ mirror_of: null }).where('id', '=', repo.id).execute();
    });
    ctx.err(link.direction === 'pull' ? `${spec} no longer mirrors ${remoteDisplay(remote)}; it is writable\n` : `${spec} is no longer pushed to ${remoteDisplay(remote)}\n`);
    return 0;
  },
};
