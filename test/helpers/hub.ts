import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createToken } from '../../src/auth/tokens.js';
import { createUser } from '../../src/auth/users.js';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/database.js';
import { startHub, type RunningHub } from '../../src/main.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Tokens {
  /** alice: site user, owner of her namespace, write token */
  alice: string;
  /** alice's read-only token */
  aliceRead: string;
  /** bob: another user with a write token, no access to alice's private repos */
  bob: string;
}

/** Creates users and tokens directly in a data folder's database (as the CLI does). */
export async function seedUsers(dataDir: string, databaseUrl?: string): Promise<Tokens> {
  const opened = await openDatabase({ dataDir, url: databaseUrl });
  try {
    const alice = await createUser(opened.db, { name: 'alice', fullname: 'Alice', email: 'alice@example.org' });
    const bob = await createUser(opened.db, { name: 'bob' });
    return {
      alice: (await createToken(opened.db, alice.id, { role: 'write', displayName: 'alice-write' })).token,
      aliceRead: (await createToken(opened.db, alice.id, { role: 'read', displayName: 'alice-read' })).token,
      bob: (await createToken(opened.db, bob.id, { role: 'write', displayName: 'bob-write' })).token,
    };
  } finally {
    await opened.close();
  }
}

export interface TestHub {
  url: string;
  dataDir: string;
  tokens: Tokens;
  running: RunningHub;
  close(): Promise<void>;
}

/** The real app on an ephemeral port with a temp data folder and real SQLite and git. */
export async function startTestHub(opts: { env?: Record<string, string>; dialect?: TestDialect } = {}): Promise<TestHub> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-test-'));
  const database = opts.dialect === 'postgres' ? await createPgDatabase() : undefined;
  const tokens = await seedUsers(dataDir, database?.url);
  const config = loadConfig({ port: '0', data: dataDir, ...(database ? { database: database.url } : {}) }, { ...opts.env });
  const running = await startHub(config);
  return {
    url: running.url,
    dataDir,
    tokens,
    running,
    async close() {
      await running.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export type TestDialect = 'sqlite' | 'postgres';

/**
 * The dialects the database-backed suites run on: SQLite always, PostgreSQL
 * when ORCHARD_TEST_PG_URL names a server (CI sets it; locally the
 * PostgreSQL runs are skipped with a message).
 */
export function testDialects(): TestDialect[] {
  if (process.env.ORCHARD_TEST_PG_URL) return ['sqlite', 'postgres'];
  if (!warned) {
    warned = true;
    console.log('# PostgreSQL suites skipped: set ORCHARD_TEST_PG_URL=postgres://user@host:port/db to run them');
  }
  return ['sqlite'];
}
let warned = false;

/** A fresh, empty PostgreSQL database for one test hub, dropped afterwards. */
export async function createPgDatabase(prefix = 'orchard_t'): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.ORCHARD_TEST_PG_URL;
  if (!base) throw new Error('ORCHARD_TEST_PG_URL is not set');
  const { default: pg } = await import('pg');
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface SpawnedHub {
  url: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `orchard serve` as a child process, as a user would, and waits until it listens. */
export async function spawnHub(dataDir: string, port = 0): Promise<SpawnedHub> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      log += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) resolve(m[1]!);
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`hub exited with ${code}: ${log}`)));
    setTimeout(() => reject(new Error(`hub did not start: ${log}`)), 20_000).unref();
  });
  return {
    url,
    child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}

/** fetch with a bearer token. */
export function api(url: string, token?: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(url, { ...init, headers });
}

export async function createRepoVia(hub: { url: string }, token: string, name: string, opts: { type?: string; private?: boolean; organization?: string } = {}): Promise<Response> {
  return api(`${hub.url}/api/repos/create`, token, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, organization: opts.organization ?? 'alice', type: opts.type ?? 'model', private: opts.private ?? false }),
  });
}

/** Posts an NDJSON commit (header + operations). */
export function commitVia(hub: { url: string }, token: string, repo: string, ops: unknown[], opts: { revision?: string; summary?: string; parentCommit?: string; type?: string } = {}): Promise<Response> {
  const header = { key: 'header', value: { summary: opts.summary ?? 'test commit', description: '', ...(opts.parentCommit ? { parentCommit: opts.parentCommit } : {}) } };
  const body = [header, ...ops].map((l) => JSON.stringify(l)).join('\n');
  return api(`${hub.url}/api/${opts.type ?? 'models'}/${repo}/commit/${encodeURIComponent(opts.revision ?? 'main')}`, token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
}

export function fileOp(path: string, content: string | Buffer): unknown {
  return { key: 'file', value: { path, content: Buffer.from(content).toString('base64'), encoding: 'base64' } };
}

/** The git blob id of some content: what tree, paths-info and ETag name a regular file by. */
export function gitBlobOid(content: Buffer | string): string {
  const buf = Buffer.from(content);
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

export function sha256(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Uploads bytes through the LFS batch API and the signed PUT, as the HF clients do. */
export async function uploadLfs(hub: { url: string }, token: string, repo: string, content: Buffer, prefix = ''): Promise<{ oid: string; size: number }> {
  const oid = sha256(content);
  const batch = await api(`${hub.url}/${prefix}${repo}.git/info/lfs/objects/batch`, token, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.git-lfs+json', accept: 'application/vnd.git-lfs+json' },
    body: JSON.stringify({ operation: 'upload', transfers: ['basic', 'multipart'], hash_algo: 'sha_256', objects: [{ oid, size: content.length }] }),
  });
  if (batch.status !== 200) throw new Error(`batch: ${batch.status} ${await batch.text()}`);
  const body = (await batch.json()) as { objects: { actions?: { upload?: { href: string }; verify?: { href: string } } }[] };
  const actions = body.objects[0]!.actions;
  if (actions?.upload) {
    const put = await fetch(actions.upload.href, { method: 'PUT', body: new Uint8Array(content) });
    if (!put.ok) throw new Error(`put: ${put.status} ${await put.text()}`);
    const verify = await api(actions.verify!.href, token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ oid, size: content.length }) });
    if (!verify.ok) throw new Error(`verify: ${verify.status} ${await verify.text()}`);
  }
  return { oid, size: content.length };
}

export function lfsOp(path: string, obj: { oid: string; size?: number }): unknown {
  return { key: 'lfsFile', value: { path, algo: 'sha256', oid: obj.oid, ...(obj.size !== undefined ? { size: obj.size } : {}) } };
}

/** The head commit of a branch, through the API. */
export async function headOf(hub: { url: string }, token: string | undefined, repo: string, branch = 'main', type = 'models'): Promise<string> {
  const r = await api(`${hub.url}/api/${type}/${repo}/revision/${encodeURIComponent(branch)}`, token);
  if (r.status !== 200) throw new Error(`revision: ${r.status}`);
  return ((await r.json()) as { sha: string }).sha;
}

/** Opens the database of a test hub's data folder (SQLite), for set-up that has no API. */
export async function withDb<T>(dataDir: string, fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const opened = await openDatabase({ dataDir });
  try {
    return await fn(opened.db);
  } finally {
    await opened.close();
  }
}

export const json = async <T = any>(r: Response): Promise<T> => (await r.json()) as T;

/**
 * Asserts the hub's error format (spec 1.4): the status, `X-Error-Code` when
 * given, `X-Error-Message`, and a JSON body with a string `error` (none on HEAD).
 */
export async function expectError(r: Response, status: number, code?: string): Promise<any> {
  const text = await r.text();
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${text}`);
  if (code) assert.equal(r.headers.get('x-error-code'), code);
  assert.ok(r.headers.get('x-error-message'), 'X-Error-Message is set');
  if (!text) return undefined;
  const body = JSON.parse(text);
  assert.equal(typeof body.error, 'string');
  return body;
}

/** Runs the `orchard` CLI as a script would, collecting its exit code and output. */
export async function runCli(args: string[], opts: { input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin!.end(opts.input ?? '');
  });
}

const execFileAsync = promisify(execFile);

/**
 * `git` with a credential helper that answers with the given token (none: no credentials), in the
 * environment `env()` gives at call time, and `gitFails`, which returns the stderr of a command that
 * must fail.
 */
export function gitCommands(env: () => NodeJS.ProcessEnv): {
  git(cwd: string, args: string[], token?: string): Promise<{ stdout: string; stderr: string }>;
  gitFails(cwd: string, args: string[], token?: string): Promise<string>;
} {
  const git = (cwd: string, args: string[], token?: string): Promise<{ stdout: string; stderr: string }> => {
    const cred = token ? ['-c', 'credential.helper=', '-c', `credential.helper=!f() { echo username=x; echo password=${token}; }; f`] : ['-c', 'credential.helper='];
    return execFileAsync('git', [...cred, ...args], { cwd, env: env(), maxBuffer: 64 * 1024 * 1024 });
  };
  const gitFails = async (cwd: string, args: string[], token?: string): Promise<string> => {
    try {
      await git(cwd, args, token);
    } catch (err) {
      return String((err as { stderr?: string }).stderr ?? err);
    }
    assert.fail(`git ${args.join(' ')} should have failed`);
  };
  return { git, gitFails };
}
