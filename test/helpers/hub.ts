import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createToken } from '../../src/auth/tokens.js';
import { createUser } from '../../src/auth/users.js';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/database.js';
import { startHub, type RunningHub } from '../../src/main.js';
import { startS3Emulator, type S3Emulator } from './s3-emulator.js';

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
  /** The hub's PostgreSQL database when it runs on one. */
  databaseUrl: string | undefined;
  /** The S3 emulator holding the hub's LFS objects, in an S3 pass. */
  s3: S3Emulator | undefined;
  close(): Promise<void>;
}

/** The real app on an ephemeral port with a temp data folder, on this pass's database and blob store (or the dialect asked for). */
export async function startTestHub(opts: { env?: Record<string, string>; dialect?: TestDialect } = {}): Promise<TestHub> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-test-'));
  // A test that brings its own bucket (ORCHARD_S3_* in env) keeps it; otherwise the pass decides.
  const ownBucket = opts.env?.ORCHARD_S3_BUCKET !== undefined;
  const storage = await createTestStorage(opts.dialect ?? testBackend.dialect, ownBucket ? 'folder' : testBackend.blobs);
  const tokens = await seedUsers(dataDir, storage.databaseUrl);
  const config = loadConfig({ port: '0', data: dataDir, ...(storage.databaseUrl ? { database: storage.databaseUrl } : {}) }, { ...storage.s3?.env, ...opts.env });
  const running = await startHub(config);
  return {
    url: running.url,
    dataDir,
    tokens,
    running,
    databaseUrl: storage.databaseUrl,
    s3: storage.s3,
    async close() {
      await running.close();
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export type TestDialect = 'sqlite' | 'postgres';
export type TestBlobs = 'folder' | 's3';

/**
 * The backend this run of the suite covers. `npm test` (scripts/test-matrix.mjs) runs the whole suite
 * once per combination that can run here, naming it in ORCHARD_TEST_BACKEND (`sqlite+folder`,
 * `postgres+folder`, `sqlite+s3`, `postgres+s3`). A file run by hand without it uses the folder store
 * and SQLite, plus PostgreSQL where a suite loops over `testDialects()` and ORCHARD_TEST_PG_URL is set.
 *
 * Suites that set up their own fixed backends (migration between backends, several processes on
 * PostgreSQL + S3, the S3 store itself) run only in the primary pass (`sqlite+folder`, or no pass).
 */
export interface TestBackend {
  name: string;
  /** The dialect `startTestHub` uses when not told one. */
  dialect: TestDialect;
  blobs: TestBlobs;
  /** Set when ORCHARD_TEST_BACKEND names this pass. */
  explicit: boolean;
  primary: boolean;
}

export const testBackend: TestBackend = parseTestBackend(process.env.ORCHARD_TEST_BACKEND);

function parseTestBackend(raw: string | undefined): TestBackend {
  if (!raw) return { name: 'sqlite+folder', dialect: 'sqlite', blobs: 'folder', explicit: false, primary: true };
  const m = /^(sqlite|postgres)\+(folder|s3)$/.exec(raw);
  if (!m) throw new Error(`ORCHARD_TEST_BACKEND must be <sqlite|postgres>+<folder|s3>, got ${JSON.stringify(raw)}`);
  const dialect = m[1] as TestDialect;
  if (dialect === 'postgres' && !process.env.ORCHARD_TEST_PG_URL) throw new Error('ORCHARD_TEST_BACKEND=postgres+… needs ORCHARD_TEST_PG_URL');
  return { name: raw, dialect, blobs: m[2] as TestBlobs, explicit: true, primary: raw === 'sqlite+folder' };
}

/** For `describe(..., { skip })` of suites that choose their own backends: they run in the primary pass only. */
export const primaryPassOnly: string | false = testBackend.primary ? false : `runs its own backends in the sqlite+folder pass (this pass: ${testBackend.name})`;

/**
 * The dialects the database-backed suites loop over: this pass's one when a pass is named, else
 * SQLite always and PostgreSQL when ORCHARD_TEST_PG_URL names a server (locally the PostgreSQL runs
 * are skipped with a message).
 */
export function testDialects(): TestDialect[] {
  if (testBackend.explicit) return [testBackend.dialect];
  if (process.env.ORCHARD_TEST_PG_URL) return ['sqlite', 'postgres'];
  if (!warned) {
    warned = true;
    console.log('# PostgreSQL suites skipped: set ORCHARD_TEST_PG_URL=postgres://user@host:port/db to run them');
  }
  return ['sqlite'];
}
let warned = false;

/** A hub's database and blob store for this pass: a fresh PostgreSQL database and/or S3 bucket, or nothing beyond the data folder. */
export interface TestStorage {
  databaseUrl: string | undefined;
  s3: S3Emulator | undefined;
  /** What a hub child process needs in its environment to use them. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function createTestStorage(dialect: TestDialect = testBackend.dialect, blobs: TestBlobs = testBackend.blobs): Promise<TestStorage> {
  const database = dialect === 'postgres' ? await createPgDatabase() : undefined;
  const s3 = blobs === 's3' ? await startS3Emulator() : undefined;
  return {
    databaseUrl: database?.url,
    s3,
    env: { ...(database ? { ORCHARD_DATABASE_URL: database.url } : {}), ...s3?.env },
    async close() {
      await s3?.close();
      await database?.drop();
    },
  };
}

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
export async function spawnHub(dataDir: string, port = 0, env: Record<string, string> = {}): Promise<SpawnedHub> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
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

export interface SpawnedTestHub extends SpawnedHub {
  dataDir: string;
  tokens: Tokens;
  storage: TestStorage;
  /** Stops the process and removes its data folder, database and bucket. */
  close(): Promise<void>;
}

/** `orchard serve` as a child process on a fresh data folder, on this pass's database and blob store, with users seeded. */
export async function startSpawnedTestHub(prefix = 'orchard-spawned-'): Promise<SpawnedTestHub> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const storage = await createTestStorage();
  const tokens = await seedUsers(dataDir, storage.databaseUrl);
  const hub = await spawnHub(dataDir, 0, storage.env);
  return {
    ...hub,
    dataDir,
    tokens,
    storage,
    async close() {
      await hub.stop();
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Every LFS object or piece of one a hub holds: file names under the data folder's `lfs/` (objects
 * and temporary files), and in an S3 pass the bucket's object keys and pending multipart uploads.
 * What bad input must leave untouched.
 */
export async function storedLfsFiles(hub: { dataDir: string; s3?: S3Emulator | undefined }): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(path.join(dir, e.name));
      else out.push(e.name);
    }
  };
  await walk(path.join(hub.dataDir, 'lfs'));
  if (hub.s3) {
    out.push(...(await hub.s3.objectKeys()).map((k) => k.slice(k.lastIndexOf('/') + 1)));
    out.push(...(await hub.s3.pendingUploads()).map((k) => `pending:${k}`));
  }
  return out;
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

/** Opens a test hub's database (its SQLite file, or its PostgreSQL database), for set-up that has no API. */
export async function withDb<T>(hub: { dataDir: string; databaseUrl?: string | undefined }, fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const opened = await openDatabase({ dataDir: hub.dataDir, url: hub.databaseUrl });
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
