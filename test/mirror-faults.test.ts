/**
 * The pull-through cache when things go wrong (docs/mirror.md): the upstream
 * process is killed in the middle of a 256 MiB transfer, and the cache is
 * full while files are being read.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, commitVia, createRepoVia, expectError, headOf, lfsOp, seedUsers, spawnHub, startTestHub, uploadLfs, type SpawnedHub, type TestHub, type Tokens, primaryPassOnly } from './helpers/hub.js';
import { waitUntil } from './helpers/webhook-receiver.js';
import { loadConfig } from '../src/config/config.js';
import { startHub } from '../src/main.js';
import { UpstreamProxy } from './helpers/upstream-proxy.js';

const MiB = 1024 * 1024;

/** Reads a body, hashing it, until its end or until the connection breaks. */
async function drain(res: Response): Promise<{ size: number; sha: string; error: unknown }> {
  const h = createHash('sha256');
  let size = 0;
  try {
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
      h.update(c);
      size += c.length;
    }
    return { size, sha: h.digest('hex'), error: undefined };
  } catch (error) {
    return { size, sha: h.digest('hex'), error };
  }
}

describe('pull-through cache: upstream killed mid-transfer', { skip: primaryPassOnly }, () => {
  let dataA: string;
  let tokens: Tokens;
  let a: SpawnedHub;
  let proxy: UpstreamProxy;
  let b: TestHub;

  before(async () => {
    dataA = await mkdtemp(path.join(os.tmpdir(), 'orchard-upstream-'));
    tokens = await seedUsers(dataA);
    a = await spawnHub(dataA);
    proxy = new UpstreamProxy(a.url);
    await proxy.start();
    b = await startTestHub({ env: { ORCHARD_UPSTREAM_URL: proxy.url, ORCHARD_UPSTREAM_TIMEOUT_MS: '5000' } });
  });

  after(async () => {
    await b?.close();
    await proxy?.close();
    await a?.stop();
    await rm(dataA, { recursive: true, force: true });
  });

  test('the client gets an error, nothing corrupt is cached, and the next request resumes', async () => {
    assert.equal((await createRepoVia(a, tokens.alice, 'huge')).status, 200);
    const content = randomBytes(256 * MiB);
    const oid = createHash('sha256').update(content).digest('hex');
    await uploadLfs(a, tokens.alice, 'alice/huge', content);
    assert.equal((await commitVia(a, tokens.alice, 'alice/huge', [lfsOp('model.safetensors', { oid, size: content.length })])).status, 200);
    const commit = await headOf(a, tokens.alice, 'alice/huge');
    const url = `${b.url}/alice/huge/resolve/${commit}/model.safetensors`;
    // B's own partial file of the object (named by object and process).
    const partial = path.join(b.dataDir, 'mirror-cache', 'partial', `sha256-${oid}.${process.pid}`);

    // A slow link, so that the kill lands in the middle.
    proxy.throttle = 48 * MiB;
    const first = await api(url);
    assert.equal(first.status, 200);
    const reading = drain(first);
    await waitUntil(async () => ((await stat(partial).catch(() => undefined))?.size ?? 0) >= 64 * MiB, 'a quarter of the file cached', 60_000);
    await a.stop('SIGKILL');
    const cut = await reading;
    assert.ok(cut.error !== undefined || cut.size < content.length, 'the client sees the transfer fail');
    const kept = (await stat(partial)).size;
    assert.ok(kept >= 64 * MiB && kept < content.length, `the partial copy is kept (${kept} bytes)`);
    const row = await b.running.hub.db.selectFrom('mirror_objects').select('name').where('name', '=', `sha256-${oid}`).executeTakeFirst();
    assert.equal(row, undefined, 'nothing is in the cache as complete');
    await assert.rejects(stat(path.join(b.dataDir, 'mirror-cache', 'objects', `sha256-${oid.slice(0, 2)}`, `sha256-${oid}`)));

    // Upstream comes back (on another port); the next request continues where the first stopped.
    a = await spawnHub(dataA);
    proxy.target = a.url;
    proxy.throttle = 0;
    const sentBefore = [...proxy.bytes.entries()].filter(([p]) => p.includes('model.safetensors')).reduce((n, [, v]) => n + v, 0);
    const second = await drain(await api(url));
    assert.equal(second.error, undefined);
    assert.equal(second.size, content.length);
    assert.equal(second.sha, oid);
    const asks = proxy.log.filter((r) => r.path.endsWith('/model.safetensors') && r.method === 'GET');
    assert.equal(asks.length, 2);
    assert.equal(asks[1]!.range, `bytes=${kept}-`);
    const sentAfter = [...proxy.bytes.entries()].filter(([p]) => p.includes('model.safetensors')).reduce((n, [, v]) => n + v, 0);
    assert.equal(sentAfter - sentBefore, content.length - kept, 'only the rest came from upstream');
    // And now it is a cache hit.
    const third = await drain(await api(url));
    assert.equal(third.sha, oid);
    assert.equal(proxy.log.filter((r) => r.path.endsWith('/model.safetensors') && r.method === 'GET').length, 2);
  });
});

describe('pull-through cache: size cap', { skip: primaryPassOnly }, () => {
  let a: TestHub;
  let b: TestHub;

  before(async () => {
    a = await startTestHub();
    b = await startTestHub({ env: { ORCHARD_UPSTREAM_URL: a.url, ORCHARD_MIRROR_MAX_BYTES: '40M' } });
  });

  after(async () => {
    await b?.close();
    await a?.close();
  });

  test('least recently used objects are evicted, never one being read', async () => {
    assert.equal((await createRepoVia(a, a.tokens.alice, 'many')).status, 200);
    const files = [0, 1, 2, 3].map(() => randomBytes(16 * MiB));
    const ops = [];
    for (const [i, f] of files.entries()) ops.push(lfsOp(`f${i}.bin`, await uploadLfs(a, a.tokens.alice, 'alice/many', f)));
    assert.equal((await commitVia(a, a.tokens.alice, 'alice/many', ops)).status, 200);
    const get = (i: number): Promise<Response> => api(`${b.url}/alice/many/resolve/main/f${i}.bin`);
    const names = async (): Promise<string[]> => (await b.running.hub.db.selectFrom('mirror_objects').select('name').orderBy('name').execute()).map((r) => r.name);
    const sha = (i: number): string => `sha256-${createHash('sha256').update(files[i]!).digest('hex')}`;

    // A client has the last byte as soon as the hash matched; the object joins the cache right after.
    const cached = (n: number): Promise<boolean> => waitUntil(async () => (await names()).includes(sha(n)), `f${n} in the cache`);
    assert.equal((await drain(await get(0))).size, 16 * MiB);
    await cached(0);
    // f0 is held open by a client that reads nothing yet: it must survive the evictions below.
    const slow = await get(0);
    assert.equal(slow.status, 200);
    await drain(await get(1));
    await cached(1);
    await drain(await get(2));
    await cached(2);
    const held = await names();
    assert.ok(held.includes(sha(0)), 'the object being read is kept');
    assert.ok(!held.includes(sha(1)), 'the least recently used free object went');
    const rest = await drain(slow);
    assert.equal(rest.sha, sha(0).slice('sha256-'.length));
    await drain(await get(3));
    await cached(3);
    const now = await names();
    assert.ok(!now.includes(sha(0)), 'once released, f0 can go');
    assert.ok(now.includes(sha(3)));
    const used = now.length * 16 * MiB;
    assert.ok(used <= 40 * MiB, `under the cap (${used})`);
  });
});

describe('pull-through cache: --offline', { skip: primaryPassOnly }, () => {
  test('a mirror restarted offline on the same data folder serves its cache and never calls upstream', async () => {
    const a = await startTestHub();
    const proxy = new UpstreamProxy(a.url);
    await proxy.start();
    const b = await startTestHub({ env: { ORCHARD_UPSTREAM_URL: proxy.url } });
    let offline: Awaited<ReturnType<typeof startHub>> | undefined;
    try {
      assert.equal((await createRepoVia(a, a.tokens.alice, 'm')).status, 200);
      const content = randomBytes(MiB + 3);
      assert.equal((await commitVia(a, a.tokens.alice, 'alice/m', [lfsOp('w.bin', await uploadLfs(a, a.tokens.alice, 'alice/m', content))])).status, 200);
      const online = await drain(await api(`${b.url}/alice/m/resolve/main/w.bin`));
      assert.equal(online.sha, createHash('sha256').update(content).digest('hex'));
      await b.running.close();
      const asked = proxy.log.length;
      offline = await startHub(loadConfig({ port: '0', data: b.dataDir, upstream: proxy.url, offline: 'true' }, {}));
      const again = await drain(await api(`${offline.url}/alice/m/resolve/main/w.bin`));
      assert.equal(again.sha, online.sha);
      const info = await api(`${offline.url}/api/models/alice/m`);
      assert.equal(info.status, 200);
      await expectError(await api(`${offline.url}/alice/m/resolve/main/other.bin`), 504, 'UpstreamUnavailable');
      await expectError(await api(`${offline.url}/api/models/alice/unknown`), 504, 'UpstreamUnavailable');
      assert.equal(proxy.log.length, asked, 'offline: not one request upstream');
    } finally {
      await offline?.close();
      await rm(b.dataDir, { recursive: true, force: true });
      await proxy.close();
      await a.close();
    }
  });
});
