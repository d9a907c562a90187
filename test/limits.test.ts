/**
 * Abuse limits: per-token and per-address rate limits (429 + Retry-After),
 * the login limiter, the LFS object size limit, and upload quotas with their
 * admin API and CLI. Hubs run with tiny limits so that each is reached in a
 * few requests; no assertion depends on how fast anything runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { HubApiError, uploadFiles } from '@huggingface/hub';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { formatSize, parseSize } from '../src/core/sizes.js';
import { addressBucket, clientAddress } from '../src/http/client-address.js';
import { MemoryRateLimitStore, requestClass } from '../src/http/rate-limit.js';
import { api, CLI, commitVia, createRepoVia, fileOp, headOf, lfsOp, sha256, startTestHub, testDialects, uploadLfs, type TestHub, expectError, json } from './helpers/hub.js';

const exec = promisify(execFile);


/** A fresh write token for a user of a running test hub (so that each test has its own bucket). */
async function newToken(hub: TestHub, user: string, role: 'read' | 'write' = 'write'): Promise<string> {
  const db = hub.running.hub.db;
  const row = await db.selectFrom('users').select('id').where('name', '=', user).executeTakeFirst();
  const id = row?.id ?? (await createUser(db, { name: user, isAdmin: user === 'root' })).id;
  return (await createToken(db, id, { role, displayName: `${user}-${role}-${Math.random().toString(36).slice(2, 8)}` })).token;
}

function from(ip: string, token?: string, init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  headers.set('x-forwarded-for', ip);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

describe('rate limiter units', () => {
  test('a token bucket: the limit, then a refill proportional to the time waited', () => {
    let now = 0;
    const store = new MemoryRateLimitStore(() => now);
    const policy = { name: 'api', limit: 3, windowMs: 3000 };
    for (let i = 0; i < 3; i++) assert.equal(store.take('k', policy, 0).allowed, true);
    const refused = store.take('k', policy, 0);
    assert.equal(refused.allowed, false);
    assert.equal(refused.remaining, 0);
    assert.equal(refused.retryAfterMs, 1000);
    assert.equal(store.take('other', policy, 0).allowed, true, 'keys do not share a bucket');
    now = 999;
    assert.equal(store.take('k', policy, 0).allowed, false, 'a refused request takes nothing, and the token is not back yet');
    now = 1000;
    assert.equal(store.take('k', policy, 0).allowed, true);
    now = 1_000_000;
    assert.equal(store.take('k', policy, 0).remaining, 2, 'a bucket never holds more than the limit');
  });

  test('continuations may run a bucket into debt, up to the overdraft, and the debt is paid back', () => {
    let now = 0;
    const store = new MemoryRateLimitStore(() => now);
    const policy = { name: 'api', limit: 2, windowMs: 2000 };
    assert.equal(store.take('k', policy, 0).allowed, true);
    assert.equal(store.take('k', policy, 0).allowed, true);
    assert.equal(store.take('k', policy, 0).allowed, false, 'an opening request needs a whole token');
    assert.equal(store.take('k', policy, 2).allowed, true);
    assert.equal(store.take('k', policy, 2).allowed, true);
    const refused = store.take('k', policy, 2);
    assert.equal(refused.allowed, false, 'the overdraft is bounded');
    assert.equal(refused.retryAfterMs, 1000);
    now = 2000;
    assert.equal(store.take('k', policy, 0).allowed, false, 'the next operation waits for the debt');
    now = 3000;
    assert.equal(store.take('k', policy, 0).allowed, true);
  });

  test('full buckets are swept and the number of buckets is bounded', () => {
    let now = 0;
    const store = new MemoryRateLimitStore(() => now, 50);
    const policy = { name: 'api', limit: 10, windowMs: 1000 };
    for (let i = 0; i < 200; i++) store.take(`k${i}`, policy, 0);
    assert.ok(store.size <= 50, `at most 50 buckets, got ${store.size}`);
    now = 10_000;
    for (let i = 0; i < 1000; i++) store.take('busy', policy, 1000);
    assert.equal(store.size, 1, 'buckets that are full again are forgotten');
    store.reset('busy');
    assert.equal(store.size, 0);
  });

  test('which requests open an operation, carry one on, or do not count', () => {
    assert.equal(requestClass('GET', '/api/models'), 'opening');
    assert.equal(requestClass('GET', '/alice/m.git/info/refs'), 'opening');
    assert.equal(requestClass('POST', '/alice/m.git/info/lfs/objects/batch'), 'opening');
    assert.equal(requestClass('POST', '/alice/m.git/git-upload-pack'), 'continuation');
    assert.equal(requestClass('POST', '/datasets/alice/d.git/git-receive-pack'), 'continuation');
    assert.equal(requestClass('PUT', `/alice/m.git/info/lfs/objects/${'a'.repeat(64)}`), 'continuation');
    assert.equal(requestClass('GET', `/alice/m.git/info/lfs/objects/${'a'.repeat(64)}`), 'continuation');
    assert.equal(requestClass('POST', '/alice/m.git/info/lfs/verify'), 'continuation');
    assert.equal(requestClass('GET', '/healthz'), 'exempt');
    assert.equal(requestClass('POST', '/internal/hooks/lfs-check'), 'exempt');
  });

  test('client addresses: X-Forwarded-For only behind a trusted proxy, its last hop only; IPv6 by /64', () => {
    const req = (xff: string | undefined, remote = '10.0.0.1'): any => ({ headers: xff === undefined ? {} : { 'x-forwarded-for': xff }, socket: { remoteAddress: remote } });
    assert.equal(clientAddress(req('203.0.113.9'), false), '10.0.0.1');
    assert.equal(clientAddress(req('203.0.113.9'), true), '203.0.113.9');
    assert.equal(clientAddress(req('198.51.100.1, 203.0.113.9'), true), '203.0.113.9', 'the client-written hops are ignored');
    assert.equal(clientAddress(req('203.0.113.9:4711'), true), '203.0.113.9');
    assert.equal(clientAddress(req('[2001:db8::1]:443'), true), '2001:db8::1');
    assert.equal(clientAddress(req('not-an-ip'), true), '10.0.0.1');
    assert.equal(clientAddress(req(undefined), true), '10.0.0.1');
    assert.equal(addressBucket('::ffff:192.0.2.4'), '192.0.2.4');
    assert.equal(addressBucket('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressBucket('2001:db8:1:2::99'), addressBucket('2001:0db8:0001:0002:ffff::1'));
    assert.equal(addressBucket('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressBucket(undefined), 'unknown');
  });

  test('sizes as people type them', () => {
    assert.equal(parseSize('4096'), 4096);
    assert.equal(parseSize('500M'), 500 * 1024 ** 2);
    assert.equal(parseSize('10G'), 10 * 1024 ** 3);
    assert.equal(parseSize('10gib'), 10 * 1024 ** 3);
    assert.equal(parseSize('10GB'), 10 * 1000 ** 3);
    assert.equal(parseSize('1.5T'), 1.5 * 1024 ** 4);
    assert.equal(parseSize('12 bytes'), 12);
    assert.equal(parseSize('lots'), undefined);
    assert.equal(parseSize('-1G'), undefined);
    assert.equal(parseSize('99999999P'), undefined);
    assert.equal(formatSize(1536), '1.5 KiB');
    assert.equal(formatSize(10), '10 bytes');
  });
});

describe('rate limits over HTTP', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({
      env: { ORCHARD_TRUST_PROXY: 'true', ORCHARD_RATE_LIMIT_PER_IP: '5', ORCHARD_RATE_LIMIT_PER_TOKEN: '4', ORCHARD_LOGIN_ATTEMPTS: '3' },
    });
  });
  after(() => hub.close());

  test('anonymous callers: the request after the limit gets 429 with Retry-After, in the error format; other addresses are unaffected', async () => {
    const ip = '203.0.113.1';
    for (let i = 0; i < 5; i++) assert.equal((await api(`${hub.url}/api/models`, undefined, from(ip))).status, 200, `request ${i + 1}`);
    const r = await api(`${hub.url}/api/models`, undefined, from(ip));
    const body = await expectError(r, 429, 'TooManyRequests');
    assert.match(body.error, /Too many requests/);
    const retryAfter = r.headers.get('retry-after')!;
    assert.match(retryAfter, /^\d+$/);
    assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, retryAfter);
    assert.match(r.headers.get('ratelimit')!, /^"api";r=0;t=\d+$/);
    assert.equal(r.headers.get('ratelimit-policy'), '"token bucket";"api";q=5;w=60');
    assert.match(r.headers.get('access-control-expose-headers')!, /Retry-After/);
    assert.ok(r.headers.get('x-request-id'));

    assert.equal((await api(`${hub.url}/api/models`, undefined, from('203.0.113.2'))).status, 200, 'another address has its own bucket');
    // Only the hop the trusted proxy appended counts: a client cannot pick a fresh address.
    await expectError(await api(`${hub.url}/api/models`, undefined, from('198.51.100.77, 203.0.113.1')), 429, 'TooManyRequests');
    // Any door counts, git and LFS included; health checks do not.
    assert.equal((await api(`${hub.url}/alice/nothing.git/info/refs?service=git-upload-pack`, undefined, from(ip))).status, 429);
    assert.equal((await api(`${hub.url}/healthz`, undefined, from(ip))).status, 200);
  });

  test('authenticated callers count per token, apart from their address; bad tokens count against the address', async () => {
    const ip = '203.0.113.10';
    const alice = await newToken(hub, 'alice');
    const alice2 = await newToken(hub, 'alice');
    for (let i = 0; i < 4; i++) assert.equal((await api(`${hub.url}/api/whoami-v2`, undefined, from(ip, alice))).status, 200);
    const r = await api(`${hub.url}/api/whoami-v2`, undefined, from(ip, alice));
    await expectError(r, 429, 'TooManyRequests');
    assert.equal(r.headers.get('ratelimit-policy'), '"token bucket";"api";q=4;w=60');
    assert.equal((await api(`${hub.url}/api/whoami-v2`, undefined, from(ip, alice2))).status, 200, 'another token is unaffected');
    assert.equal((await api(`${hub.url}/api/models`, undefined, from(ip))).status, 200, 'the address is unaffected by its tokens');

    const ip2 = '203.0.113.11';
    for (let i = 0; i < 5; i++) await expectError(await api(`${hub.url}/api/whoami-v2`, undefined, from(ip2, 'hf_forged')), 401);
    await expectError(await api(`${hub.url}/api/whoami-v2`, undefined, from(ip2, 'hf_forged')), 429, 'TooManyRequests');
  });

  test('login attempts: a stricter bucket per address and user name', async () => {
    const login = (ip: string, username: string): Promise<Response> =>
      api(`${hub.url}/api/login`, undefined, from(ip, undefined, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'guess' }) }));
    const ip = '203.0.113.20';
    for (let i = 0; i < 3; i++) await expectError(await login(ip, 'alice'), 401);
    const r = await login(ip, 'Alice');
    await expectError(r, 429, 'TooManyRequests');
    assert.match(r.headers.get('ratelimit')!, /^"login";r=0;t=\d+$/);
    assert.equal(r.headers.get('ratelimit-policy'), '"token bucket";"login";q=3;w=900');
    assert.ok(Number(r.headers.get('retry-after')) > 60, 'the login window is 15 minutes');
    await expectError(await login(ip, 'bob'), 401);
    await expectError(await login('203.0.113.21', 'alice'), 401);
  });

  test('a git clone is not cut in the middle; the next operation waits', async (t) => {
    const token = await newToken(hub, 'alice');
    assert.equal((await api(`${hub.url}/api/repos/create`, token, { method: 'POST', body: JSON.stringify({ name: 'cloned', organization: 'alice', type: 'model' }) })).status, 200);
    assert.equal((await commitVia(hub, token, 'alice/cloned', [fileOp('README.md', '# hi\n')])).status, 200);
    const ip = '203.0.113.30';
    // Leave one request in the bucket: info/refs takes it, the upload-pack POSTs that follow run into debt.
    for (let i = 0; i < 4; i++) assert.equal((await api(`${hub.url}/api/models`, undefined, from(ip))).status, 200);
    const work = await mkdtemp(path.join(os.tmpdir(), 'orchard-limits-git-'));
    t.after(() => rm(work, { recursive: true, force: true }));
    const env = { ...process.env, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
    const git = (args: string[]) => exec('git', ['-c', `http.extraHeader=X-Forwarded-For: ${ip}`, ...args], { cwd: work, env });
    await git(['clone', `${hub.url}/alice/cloned`, 'cloned']);
    await assert.rejects(git(['ls-remote', `${hub.url}/alice/cloned`]), /429/);
  });
});

describe('rate limits refill', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ env: { ORCHARD_RATE_LIMIT_PER_IP: '2', ORCHARD_RATE_LIMIT_WINDOW: '1' } });
  });
  after(() => hub.close());

  test('after Retry-After seconds the caller is served again', async () => {
    let refused: Response | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const r = await api(`${hub.url}/api/models`);
      if (r.status === 429) refused = r;
      else assert.equal(r.status, 200);
    }
    assert.ok(refused, 'the limit was reached');
    await refused.arrayBuffer();
    assert.equal(refused.headers.get('retry-after'), '1');
    await sleep(1000);
    assert.equal((await api(`${hub.url}/api/models`)).status, 200);
  });
});

/** PUT with a Content-Length but no body: the hub must answer before reading it. */
function putHeadersOnly(url: string, length: number): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-length': String(length), 'content-type': 'application/octet-stream' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

async function batch(hub: TestHub, token: string, repo: string, objects: { oid: string; size: number }[]): Promise<any> {
  const r = await api(`${hub.url}/${repo}.git/info/lfs/objects/batch`, token, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.git-lfs+json' },
    body: JSON.stringify({ operation: 'upload', transfers: ['basic'], hash_algo: 'sha256', objects }),
  });
  assert.equal(r.status, 200);
  return json(r);
}

for (const dialect of testDialects()) {
  describe(`LFS object size limit and upload quotas (${dialect})`, () => {
    let hub: TestHub;
    let admin: string;
    const A = randomBytes(3000);
    before(async () => {
      hub = await startTestHub({ dialect, env: { ORCHARD_MAX_LFS_OBJECT_BYTES: '100000' } });
      admin = await newToken(hub, 'root');
      for (const name of ['q1', 'q2', 'big']) assert.equal((await createRepoVia(hub, hub.tokens.alice, name)).status, 200);
      const a = await uploadLfs(hub, hub.tokens.alice, 'alice/q1', A);
      assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/q1', [lfsOp('a.bin', a)])).status, 200);
    });
    after(() => hub.close());

    const quotaEvents = () => hub.running.hub.db.selectFrom('audit_log').selectAll().where('action', 'like', 'quota.%').execute();
    /** The audit events `fn` adds. */
    const newQuotaEvents = async (fn: () => Promise<unknown>) => {
      const before = new Set((await quotaEvents()).map((e) => e.id));
      await fn();
      return (await quotaEvents()).filter((e) => !before.has(e.id));
    };
    const quota = (token: string | undefined, namespace: string, maxBytes?: unknown): Promise<Response> =>
      api(`${hub.url}/api/admin/quotas/${namespace}`, token, maxBytes === undefined ? {} : { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ maxBytes }) });

    test('an LFS object over ORCHARD_MAX_LFS_OBJECT_BYTES: a per-object 422 in the batch, 413 on the PUT before any byte is read', async () => {
      const small = { oid: sha256('small'), size: 5 };
      const big = { oid: sha256('big'), size: 100_001 };
      const body = await batch(hub, hub.tokens.alice, 'alice/big', [small, big]);
      assert.ok(body.objects[0].actions.upload.href);
      assert.equal(body.objects[1].error.code, 422);
      assert.match(body.objects[1].error.message, /larger than this hub's limit of 97\.7 KiB \(100000 bytes\)/);
      assert.equal(body.objects[1].actions, undefined);

      const put = await putHeadersOnly(`${hub.url}/alice/big.git/info/lfs/objects/${big.oid}?size=${big.size}`, big.size);
      assert.equal(put.status, 413);
      assert.equal(put.headers['x-error-code'], 'PayloadTooLarge');
      assert.equal(put.headers.connection, 'close');
      assert.match(JSON.parse(put.body).message, /limit/);
      // A size within the limit in the URL does not let a larger body through.
      assert.equal((await putHeadersOnly(`${hub.url}/alice/big.git/info/lfs/objects/${big.oid}?size=5`, 200_000)).status, 413);
      // Downloads are not concerned.
      const dl = await api(`${hub.url}/alice/big.git/info/lfs/objects/batch`, hub.tokens.alice, { method: 'POST', body: JSON.stringify({ operation: 'download', objects: [big] }) });
      assert.equal((await json(dl)).objects[0].error.code, 404);
    });

    test('quota endpoints: usage for the namespace, 401 anonymous, 403 for others, setting for site admins only', async () => {
      assert.deepEqual(await json(await quota(hub.tokens.alice, 'alice')), { namespace: 'alice', maxBytes: null, usedBytes: 3000 });
      assert.deepEqual(await json(await quota(hub.tokens.aliceRead, 'ALICE')), { namespace: 'alice', maxBytes: null, usedBytes: 3000 });
      await expectError(await quota(undefined, 'alice'), 401);
      await expectError(await quota(hub.tokens.bob, 'alice'), 403);
      await expectError(await quota(undefined, 'alice', 5000), 401);
      await expectError(await quota(hub.tokens.bob, 'alice', 5000), 403);
      await expectError(await quota(hub.tokens.alice, 'alice', 5000), 403, 'Forbidden');
      await expectError(await quota(await newToken(hub, 'root', 'read'), 'alice', 5000), 403, 'Forbidden');
      await expectError(await quota(admin, 'nobody', 5000), 404);
      await expectError(await quota(admin, 'alice', -1), 400);
      await expectError(await quota(admin, 'alice', 'lots'), 400);
      await expectError(await api(`${hub.url}/api/admin/quotas/alice`, admin, { method: 'PUT', body: '{}' }), 400);

      assert.deepEqual(await json(await quota(admin, 'alice', '4K')), { namespace: 'alice', maxBytes: 4096, usedBytes: 3000 });
      assert.deepEqual(await json(await quota(admin, 'alice', 5000)), { namespace: 'alice', maxBytes: 5000, usedBytes: 3000 });
      assert.deepEqual(await json(await quota(admin, 'alice')), { namespace: 'alice', maxBytes: 5000, usedBytes: 3000 });
      assert.deepEqual(await json(await quota(hub.tokens.alice, 'alice')), { namespace: 'alice', maxBytes: 5000, usedBytes: 3000 });

      const events = await quotaEvents();
      assert.deepEqual(events.map((e) => [e.action, e.actor, e.namespace, JSON.parse(e.details)]).sort((a, b) => a[3].maxBytes - b[3].maxBytes), [
        ['quota.set', 'root', 'alice', { maxBytes: 4096, previous: null }],
        ['quota.set', 'root', 'alice', { maxBytes: 5000, previous: 4096 }],
      ]);
    });

    test("an org's admins read its usage; its other members do not", async () => {
      const db = hub.running.hub.db;
      const users = new Map((await db.selectFrom('users').select(['id', 'name']).execute()).map((u) => [u.name, u.id]));
      await db.insertInto('orgs').values({ id: 'org-acme', name: 'Acme', name_lc: 'acme', fullname: 'Acme', created_at: new Date().toISOString() }).execute();
      await db.insertInto('org_members').values([
        { org_id: 'org-acme', user_id: users.get('bob')!, role: 'admin', created_at: new Date().toISOString() },
        { org_id: 'org-acme', user_id: users.get('alice')!, role: 'write', created_at: new Date().toISOString() },
      ]).execute();
      assert.deepEqual(await json(await quota(hub.tokens.bob, 'acme')), { namespace: 'Acme', maxBytes: null, usedBytes: 0 });
      await expectError(await quota(hub.tokens.alice, 'acme'), 403);
    });

    test('uploads past the quota: a per-object 507 in the batch, objects the namespace holds are free', async () => {
      await quota(admin, 'alice', 5000);
      const B = { oid: sha256('B'.repeat(1500)), size: 1500 };
      const C = { oid: sha256('C'.repeat(1000)), size: 1000 };
      const body = await batch(hub, hub.tokens.alice, 'alice/q2', [B, C, { oid: sha256(A), size: A.length }]);
      assert.ok(body.objects[0].actions.upload, 'B fits: 3000 + 1500 <= 5000');
      assert.equal(body.objects[1].error.code, 507);
      assert.match(body.objects[1].error.message, /^Storage quota exceeded for alice: .* used, and this upload needs 1000 bytes more/);
      assert.equal(body.objects[1].actions, undefined);
      assert.ok(body.objects[2].actions.upload, 'A is already held by alice/q1: storing it for q2 costs nothing');
    });

    test('the npm client shows the quota error', async () => {
      await quota(admin, 'alice', 5000);
      const content = Buffer.concat([Buffer.from([0]), randomBytes(4000)]);
      await assert.rejects(
        uploadFiles({ repo: 'alice/q2', accessToken: hub.tokens.alice, hubUrl: hub.url, files: [{ path: 'w.bin', content: new Blob([content]) }] }),
        (err: unknown) => err instanceof HubApiError && err.statusCode === 507 && /Storage quota exceeded for alice/.test(err.message),
      );
    });

    test('a commit that would add LFS objects over the quota is refused and writes nothing; other commits pass', async () => {
      await quota(admin, 'alice', null);
      const D = randomBytes(2500);
      const d = await uploadLfs(hub, hub.tokens.alice, 'alice/q1', D);
      assert.equal((await json(await quota(hub.tokens.alice, 'alice'))).usedBytes, 5500, 'uploads count before they are committed');
      await quota(admin, 'alice', 5000);
      const head = await headOf(hub, hub.tokens.alice, 'alice/q1');
      const body = await expectError(await commitVia(hub, hub.tokens.alice, 'alice/q1', [fileOp('notes.txt', 'x'), lfsOp('d.bin', d)]), 507, 'QuotaExceeded');
      assert.match(body.error, /Storage quota exceeded for alice: 5\.37 KiB of 4\.88 KiB used/);
      assert.equal(await headOf(hub, hub.tokens.alice, 'alice/q1'), head, 'the branch did not move');
      await expectError(await api(`${hub.url}/alice/q1/resolve/main/notes.txt`, hub.tokens.alice), 404, 'EntryNotFound');

      assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/q1', [fileOp('notes.txt', 'regular files do not count')])).status, 200);
      const again = await commitVia(hub, hub.tokens.alice, 'alice/q1', [lfsOp('copy-of-a.bin', { oid: sha256(A), size: A.length })]);
      assert.equal(again.status, 200, `an object already in the history costs nothing: ${await again.text()}`);
    });

    test('a PUT with a URL signed before the quota was lowered is refused before it is stored', async () => {
      await quota(admin, 'alice', null);
      const E = randomBytes(1000);
      const body = await batch(hub, hub.tokens.alice, 'alice/q2', [{ oid: sha256(E), size: E.length }]);
      await quota(admin, 'alice', 5000);
      const put = await fetch(body.objects[0].actions.upload.href, { method: 'PUT', body: new Uint8Array(E) });
      await expectError(put, 507, 'QuotaExceeded');
      assert.equal(await hub.running.hub.blobs.stat(sha256(E)), undefined);
      assert.equal((await json(await quota(hub.tokens.alice, 'alice'))).usedBytes, 5500);
    });

    test('null removes the quota, and is audited', async () => {
      const [event, ...more] = await newQuotaEvents(async () => {
        assert.deepEqual(await json(await quota(admin, 'alice', null)), { namespace: 'alice', maxBytes: null, usedBytes: 5500 });
      });
      assert.equal(more.length, 0);
      assert.equal(event!.action, 'quota.remove');
      assert.deepEqual(JSON.parse(event!.details), { maxBytes: null, previous: 5000 });
    });

    if (dialect === 'sqlite') {
      test('the CLI sets and reads quotas', async () => {
        const orchard = async (...args: string[]) => {
          try {
            return { code: 0, ...(await exec(process.execPath, [CLI, ...args, '--data', hub.dataDir])) };
          } catch (err) {
            return err as { code: number; stdout: string; stderr: string };
          }
        };
        let set!: { code: number; stdout: string; stderr: string };
        const [cliEvent] = await newQuotaEvents(async () => {
          set = await orchard('quota', 'set', 'alice', '10M');
        });
        assert.equal(set.code, 0, set.stderr);
        assert.equal(cliEvent!.action, 'quota.set');
        assert.equal(cliEvent!.actor, null);
        assert.deepEqual(JSON.parse(cliEvent!.details), { maxBytes: 10 * 1024 * 1024, previous: null, via: 'cli' });
        assert.deepEqual(JSON.parse(set.stdout), { namespace: 'alice', maxBytes: 10 * 1024 * 1024, usedBytes: 5500 });
        const get = await orchard('quota', 'get', 'Alice');
        assert.deepEqual(JSON.parse(get.stdout), { namespace: 'alice', maxBytes: 10 * 1024 * 1024, usedBytes: 5500 });
        assert.equal((await json(await quota(hub.tokens.alice, 'alice'))).maxBytes, 10 * 1024 * 1024, 'the running hub sees it');
        assert.deepEqual(JSON.parse((await orchard('quota', 'set', 'alice', 'none')).stdout).maxBytes, null);
        assert.equal((await orchard('quota', 'set', 'alice', 'lots')).code, 2);
        const missing = await orchard('quota', 'set', 'nobody', '1G');
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /no user or organization named nobody/);
      });
    }
  });
}
