/**
 * A hub for the benchmarks: `orchard serve` as a child process on a temp
 * data folder (as a user runs it), plus the upload steps of an LFS file
 * through the HTTP API (spec 6.4-6.7).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { api, commitVia, createRepoVia, seedUsers, spawnHub, type SpawnedHub, type Tokens } from '../test/helpers/hub.js';
import { CLIENT_SCRIPT, onCleanup, runNodeJson, tempDir, type SourceFile } from './common.js';

export interface BenchHub {
  url: string;
  dataDir: string;
  tokens: Tokens;
  /** The running `orchard serve` process. */
  process: SpawnedHub;
  /** Stops the process and starts a fresh one on the same data (a clean heap and a clean VmHWM). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** `env`: extra environment of the hub process (e.g. `ORCHARD_UPLOAD_WORKERS=0` for an A/B run). */
export async function startBenchHub(env: Record<string, string> = {}): Promise<BenchHub> {
  const dataDir = await tempDir('orchard-bench-hub-');
  const tokens = await seedUsers(dataDir);
  const spawn = (): Promise<SpawnedHub> => withEnv(env, () => spawnHub(dataDir));
  let proc = await spawn();
  let removeStop = onCleanup(() => proc.stop('SIGKILL'));
  const hub: BenchHub = {
    url: proc.url,
    dataDir,
    tokens,
    process: proc,
    async restart() {
      removeStop();
      await proc.stop();
      proc = await spawn();
      removeStop = onCleanup(() => proc.stop('SIGKILL'));
      hub.process = proc;
      hub.url = proc.url;
    },
    async stop() {
      removeStop();
      await proc.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return hub;
}

async function ok(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res;
}

export async function createRepo(hub: BenchHub, name: string): Promise<void> {
  await ok(await createRepoVia(hub, hub.tokens.alice, name), `create repo ${name}`);
}

/** `POST {repo}.git/info/lfs/objects/batch` (upload): the signed upload and verify URLs. */
export async function batchUpload(hub: BenchHub, repo: string, oid: string, size: number): Promise<{ upload: string; verify: string }> {
  const res = await ok(
    await api(`${hub.url}/${repo}.git/info/lfs/objects/batch`, hub.tokens.alice, {
      method: 'POST',
      headers: { accept: 'application/vnd.git-lfs+json', 'content-type': 'application/vnd.git-lfs+json' },
      body: JSON.stringify({ operation: 'upload', transfers: ['basic'], hash_algo: 'sha256', objects: [{ oid, size }] }),
    }),
    'LFS batch',
  );
  const body = (await res.json()) as { objects: { actions?: { upload?: { href: string }; verify?: { href: string } } }[] };
  const actions = body.objects[0]?.actions;
  if (!actions?.upload || !actions.verify) throw new Error(`LFS batch returned no upload action: ${JSON.stringify(body)}`);
  return { upload: actions.upload.href, verify: actions.verify.href };
}

/** PUTs the file to a signed URL from a client process; returns the client's time in ms. */
export async function putObject(href: string, source: SourceFile): Promise<number> {
  const r = await runNodeJson<{ status: number; ms: number; body: string }>(CLIENT_SCRIPT, { mode: 'put', url: href, file: source.path, size: source.size });
  if (r.status !== 200) throw new Error(`LFS PUT: ${r.status} ${r.body}`);
  return r.ms;
}

export async function verifyObject(hub: BenchHub, href: string, source: SourceFile): Promise<void> {
  await ok(
    await api(href, hub.tokens.alice, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ oid: source.oid, size: source.size }) }),
    'LFS verify',
  );
}

/** Uploads the source file as an LFS object and commits it as `file` on main of `repo`. */
export async function uploadLfsFile(hub: BenchHub, repo: string, file: string, source: SourceFile): Promise<void> {
  const { upload, verify } = await batchUpload(hub, repo, source.oid, source.size);
  await putObject(upload, source);
  await verifyObject(hub, verify, source);
  await ok(
    await commitVia(hub, hub.tokens.alice, repo, [{ key: 'lfsFile', value: { path: file, algo: 'sha256', oid: source.oid, size: source.size } }], { summary: `Add ${file}` }),
    'commit',
  );
}

/** Where the file system blob store keeps an object (the baseline serves the very same file). */
export function objectPath(hub: BenchHub, oid: string): string {
  return path.join(hub.dataDir, 'lfs', 'objects', oid.slice(0, 2), oid.slice(2, 4), oid);
}

/** Runs `fn` (which spawns a child that copies `process.env`) with `env` added, then restores it. */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
