import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/config.js';
import { startHub, type RunningHub } from '../../src/main.js';
import { api, createPgDatabase, runCli, seedUsers, type TestDialect, type Tokens } from './hub.js';

const exec = promisify(execFile);

/** A real hub on loopback, like `startTestHub`, that also tells its database URL so that the CLI can be pointed at it. */
export interface ReplHub {
  url: string;
  dataDir: string;
  databaseUrl: string | undefined;
  tokens: Tokens;
  running: RunningHub;
  /** `orchard …` on this hub's data folder and database. */
  cli(args: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function startReplHub(dialect: TestDialect): Promise<ReplHub> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-repl-'));
  const database = dialect === 'postgres' ? await createPgDatabase('orchard_repl') : undefined;
  const tokens = await seedUsers(dataDir, database?.url);
  const running = await startHub(loadConfig({ port: '0', data: dataDir, ...(database ? { database: database.url } : {}) }, {}));
  const cliArgs = ['--data', dataDir, ...(database ? ['--database', database.url] : [])];
  return {
    url: running.url,
    dataDir,
    databaseUrl: database?.url,
    tokens,
    running,
    cli: (args, env) => (env ? runCliWithEnv([...args, ...cliArgs], env) : runCli([...args, ...cliArgs])),
    async close() {
      await running.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** runCli with extra environment variables (for `--token-env`). */
async function runCliWithEnv(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const { CLI } = await import('./hub.js');
  try {
    const r = await exec(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Every LFS object file a filesystem blob store holds (names only). */
export async function storedBlobs(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, 'lfs', 'objects');
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(path.join(dir, e.name));
      else out.push(e.name);
    }
  };
  await walk(root);
  return out.sort();
}

/** The repos a hub lists for an admin-free look: every repo of the database, private included. */
export async function repoNames(hub: ReplHub): Promise<string[]> {
  const rows = await hub.running.hub.db.selectFrom('repos').select(['type', 'namespace', 'name']).orderBy('full_name_lc').execute();
  return rows.map((r) => `${r.type}:${r.namespace}/${r.name}`);
}

/** Commits of a branch, newest first, through the API (`GET /api/{T}/{repo}/commits/{rev}`). */
export async function commitIds(hub: { url: string }, token: string, repo: string, branch = 'main', type = 'models'): Promise<string[]> {
  const r = await api(`${hub.url}/api/${type}/${repo}/commits/${branch}?limit=1000`, token);
  if (r.status !== 200) throw new Error(`commits: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { id: string }[]).map((c) => c.id);
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}
