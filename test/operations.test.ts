/**
 * Operations (docs/operations.md) on the real app, on SQLite and PostgreSQL:
 * `/healthz`, `/readyz` with a database that really goes away, `/metrics`
 * after real traffic (route templates, bytes served, upload failures, the
 * webhook queue) and who may read it, the JSON request log of `orchard
 * serve` (request ids, no secrets), and graceful shutdown of `orchard serve`
 * with a 64 MiB download in flight that the client reads only after SIGTERM.
 * Every wait is for a state (a status, a log line, a refused connection),
 * never a fixed sleep; nothing asserts how fast anything runs.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Logger } from '../src/core/log.js';
import { ROUTE_TEMPLATES, routeTemplate } from '../src/http/route-template.js';
import {
  api, commitVia, createPgDatabase, createRepoVia, expectError, fileOp, json, lfsOp, seedUsers, sha256, spawnHub, startTestHub,
  testDialects, uploadLfs, type SpawnedHub, type TestDialect, type TestHub, type Tokens,
} from './helpers/hub.js';
import { waitUntil } from './helpers/webhook-receiver.js';

const METRICS_TOKEN = 'scrape-token-for-prometheus-0123456789';
const PROXIED = { 'x-forwarded-for': '203.0.113.7' };

/** The value of a metric in Prometheus' text format, summed over the series that carry `labels`; undefined when none does. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

async function scrape(hub: { url: string }, token?: string): Promise<string> {
  const r = await api(`${hub.url}/metrics`, token);
  assert.equal(r.status, 200, await r.clone().text());
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return r.text();
}

describe('route templates', () => {
  test('each URL of the hub gets the template of the route that answers it', () => {
    const cases: [string, string, string][] = [
      ['GET', '/healthz', 'healthz'],
      ['GET', '/readyz', 'readyz'],
      ['GET', '/metrics', 'metrics'],
      ['GET', '/', 'ui.page'],
      ['GET', '/alice', 'ui.page'],
      ['GET', '/alice/model', 'ui.page'],
      ['GET', '/alice/model/tree/main/sub', 'ui.page'],
      ['GET', '/datasets/alice/data/blob/main/a.csv', 'ui.page'],
      ['GET', '/settings/tokens', 'ui.page'],
      ['GET', '/leaderboards/x', 'ui.page'],
      ['GET', '/static/app.css', 'ui.static'],
      ['GET', '/alice/model/resolve/main/weights.bin', 'resolve'],
      ['HEAD', '/datasets/alice/data/resolve/refs%2Fpr%2F1/a/b.parquet', 'resolve'],
      ['GET', '/spaces/alice/app/raw/main/app.py', 'raw'],
      ['GET', '/alice/model.git/info/refs', 'git.info-refs'],
      ['POST', '/alice/model.git/git-upload-pack', 'git.upload-pack'],
      ['POST', '/alice/model/git-receive-pack', 'git.receive-pack'],
      ['POST', '/alice/model.git/info/lfs/objects/batch', 'lfs.batch'],
      ['PUT', `/alice/model.git/info/lfs/objects/${'a'.repeat(64)}`, 'lfs.upload'],
      ['GET', `/alice/model.git/info/lfs/objects/${'a'.repeat(64)}`, 'lfs.download'],
      ['POST', '/alice/model.git/info/lfs/verify', 'lfs.verify'],
      ['GET', '/alice/model.git/info/lfs/locks/verify', 'lfs.locks'],
      ['GET', '/alice/model.git/info/lfs/objects/short', 'lfs.unmatched'],
      ['GET', '/alice/model.git/whatever', 'unmatched'],
      ['GET', '/datasets/alice', 'unmatched'],
      ['POST', '/internal/hooks/lfs-check', 'internal.hook'],
      ['GET', '/api/whoami-v2', 'api.whoami'],
      ['GET', '/api/models', 'api.list'],
      ['GET', '/api/models/alice/model', 'api.repo.info'],
      ['GET', '/api/datasets/alice/data/revision/main', 'api.repo.info'],
      ['GET', '/api/models/alice/model/tree/main/sub/dir', 'api.tree'],
      ['POST', '/api/models/alice/model/paths-info/main', 'api.paths-info'],
      ['POST', '/api/models/alice/model/preupload/main', 'api.preupload'],
      ['POST', '/api/models/alice/model/commit/main', 'api.commit'],
      ['GET', '/api/models/alice/model/commits/main', 'api.commits'],
      ['POST', '/api/repos/create', 'api.repos.create'],
      ['DELETE', '/api/repos/delete', 'api.repos.delete'],
      ['POST', '/api/login', 'api.account'],
      ['GET', '/api/settings/tokens', 'api.tokens'],
      ['GET', '/api/settings/webhooks/abc/deliveries', 'api.webhooks'],
      ['GET', '/api/users/alice/likes', 'api.likes'],
      ['GET', '/api/models/alice/model/discussions/3', 'api.discussions'],
      ['POST', '/api/models/alice/model/like', 'api.social'],
      ['GET', '/api/models/alice/model/xet-read-token/main', 'api.xet'],
      ['GET', '/api/nothing/here', 'api.unmatched'],
      ['GET', '/api/models/alice', 'api.unmatched'],
    ];
    for (const [method, p, expected] of cases) assert.equal(routeTemplate(method, p), expected, `${method} ${p}`);
  });

  test('whatever the path, the template is one of a fixed list', () => {
    const alphabet = ['', 'api', 'models', 'datasets', 'alice', 'x.git', 'info', 'lfs', 'objects', 'resolve', '%2F', '..', 'a'.repeat(64), 'ü', 'tree', 'commit'];
    for (let i = 0; i < 2000; i++) {
      const segs = Array.from({ length: 1 + (i % 7) }, (_, j) => alphabet[(i * 7 + j * 13) % alphabet.length]!);
      const t = routeTemplate(['GET', 'PUT', 'POST', 'BREW'][i % 4]!, `/${segs.join('/')}`);
      assert.ok((ROUTE_TEMPLATES as readonly string[]).includes(t), `/${segs.join('/')} → ${t}`);
    }
  });
});

describe('logger', () => {
  test('JSON lines, levels, and values that JSON cannot hold', () => {
    const lines: string[] = [];
    const logger = new Logger();
    logger.configure({ level: 'info', format: 'json', write: (l) => lines.push(l) });
    logger.debug('hidden');
    const cyclic: Record<string, unknown> = { n: 10n };
    cyclic.self = cyclic;
    logger.info('shown', { request_id: 'r1', value: cyclic });
    logger.error('failed', new Error('boom'), { route: 'resolve' });
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => l.endsWith('\n')));
    const [a, b] = lines.map((l) => JSON.parse(l));
    assert.equal(a.level, 'info');
    assert.equal(a.msg, 'shown');
    assert.equal(a.request_id, 'r1');
    assert.deepEqual(a.value, { n: '10', self: '[circular]' });
    assert.ok(!Number.isNaN(Date.parse(a.time)));
    assert.equal(b.level, 'error');
    assert.equal(b.error.message, 'boom');
    assert.match(b.error.stack, /boom/);
    assert.equal(b.route, 'resolve');
  });

  test('text lines for people; off writes nothing; a failing sink does not throw', () => {
    const lines: string[] = [];
    const logger = new Logger();
    logger.configure({ level: 'debug', format: 'text', write: (l) => lines.push(l) });
    logger.warn('disk nearly full', { path: '/data dir', free: 3 });
    assert.match(lines[0]!, /^\S+Z WARN  disk nearly full path="\/data dir" free=3\n$/);
    logger.warn('connection lost', { error: 'reset by peer' });
    assert.match(lines[1]!, / WARN  connection lost error="reset by peer"\n$/);
    logger.error('query failed', new Error('boom'));
    assert.match(lines[2]!, / ERROR query failed\nError: boom\n\s+at /);
    logger.configure({ level: 'off' });
    logger.error('never');
    assert.equal(lines.length, 3);
    logger.configure({ level: 'info', write: () => { throw new Error('EPIPE'); } });
    assert.doesNotThrow(() => logger.info('into a closed pipe'));
  });
});

for (const dialect of testDialects()) {
  describe(`readiness and metrics (${dialect})`, () => {
    let hub: TestHub;
    before(async () => {
      hub = await startTestHub({
        dialect,
        // A webhook at a closed port keeps its delivery pending for an hour: a queue of known depth.
        env: { ORCHARD_METRICS_TOKEN: METRICS_TOKEN, ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: '1', ORCHARD_WEBHOOK_RETRY_BASE_MS: '3600000' },
      });
    });
    after(() => hub.close());

    test('healthz and readyz answer 200 while the database and the blob store answer', async () => {
      const health = await api(`${hub.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok', name: 'orchard' });
      const ready = await api(`${hub.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(ready.headers.get('cache-control'), 'no-store');
      const body = await json(ready);
      assert.equal(body.status, 'ready');
      assert.equal(body.checks.database.ok, true);
      assert.equal(body.checks.storage.ok, true);
      assert.equal(body.checks.shutdown.ok, true);
      assert.equal((await api(`${hub.url}/readyz`, undefined, { method: 'HEAD' })).status, 200);
      await expectError(await api(`${hub.url}/readyz`, undefined, { method: 'POST' }), 405, 'MethodNotAllowed');
    });

    test('metrics: requests by route template, bytes served, upload failures, queue depth, process metrics', async () => {
      const repo = 'alice/ops-metrics';
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'ops-metrics')).status, 200);
      const content = randomBytes(3 * 1024 * 1024 + 17);
      const obj = await uploadLfs(hub, hub.tokens.alice, repo, content);
      assert.equal((await commitVia(hub, hub.tokens.alice, repo, [lfsOp('big.bin', obj)])).status, 200);
      const download = await api(`${hub.url}/${repo}/resolve/main/big.bin`);
      assert.equal(download.status, 200);
      assert.equal(sha256(Buffer.from(await download.arrayBuffer())), obj.oid);

      // A commit refused (a repo that does not exist) and an LFS upload whose bytes do not match their oid.
      await expectError(await commitVia(hub, hub.tokens.alice, 'alice/no-such-repo', [fileOp('a.txt', 'a')]), 404);
      const wanted = randomBytes(4096);
      const oid = sha256(wanted);
      const batch = await json(await api(`${hub.url}/${repo}.git/info/lfs/objects/batch`, hub.tokens.alice, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ operation: 'upload', objects: [{ oid, size: wanted.length }] }),
      }));
      const href = batch.objects[0].actions.upload.href as string;
      const wrong = await fetch(href, { method: 'PUT', body: new Uint8Array(randomBytes(4096)) });
      assert.ok(wrong.status >= 400 && wrong.status < 500, `mismatched bytes refused, got ${wrong.status}`);
      await wrong.arrayBuffer();
      // And one the client abandons halfway: the connection breaks.
      await new Promise<void>((resolve) => {
        const u = new URL(href);
        const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'PUT', headers: { 'content-length': String(wanted.length) }, agent: false });
        req.on('error', () => resolve());
        req.write(wanted.subarray(0, 1000), () => setImmediate(() => req.destroy()));
        req.on('close', () => resolve());
      });

      // A webhook whose target refuses connections: the next commit leaves one delivery pending.
      const hook = await api(`${hub.url}/api/settings/webhooks`, hub.tokens.alice, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', watched: [{ type: 'model', name: repo }], domains: ['repo'] }),
      });
      assert.equal(hook.status, 200, await hook.clone().text());
      assert.equal((await commitVia(hub, hub.tokens.alice, repo, [fileOp('notes.txt', 'x')])).status, 200);

      const text = await waitUntil(async () => {
        const t = await scrape(hub);
        return sample(t, 'orchard_upload_failures_total', { kind: 'lfs', reason: 'aborted' }) === 1 && t;
      }, 'the abandoned upload to be counted');
      const count = (labels: Record<string, string>): number | undefined => sample(text, 'orchard_http_requests_total', labels);
      assert.equal(count({ route: 'api.repos.create', method: 'POST', status: '200' }), 1);
      // On S3 resolve redirects to the bucket (302), which then serves the bytes: none cross the hub.
      assert.equal(count({ route: 'resolve', method: 'GET', status: hub.s3 ? '302' : '200' }), 1);
      assert.equal(count({ route: 'api.commit', method: 'POST', status: '200' }), 2);
      assert.equal(count({ route: 'api.commit', method: 'POST', status: '404' }), 1);
      assert.equal(count({ route: 'lfs.upload', method: 'PUT', status: String(wrong.status) }), 1);
      assert.ok(count({ route: 'lfs.batch', method: 'POST' })! >= 2);
      assert.equal(sample(text, 'orchard_http_request_duration_seconds_count', { route: 'resolve' }), 1);
      assert.equal(sample(text, 'orchard_bytes_served_total', { route: 'resolve' }), hub.s3 ? undefined : content.length);
      assert.equal(sample(text, 'orchard_upload_failures_total', { kind: 'commit', reason: 'client' }), 1);
      assert.equal(sample(text, 'orchard_upload_failures_total', { kind: 'lfs', reason: 'client' }), 1);
      assert.equal(sample(text, 'orchard_upload_failures_total', { reason: 'server' }), undefined);
      assert.equal(sample(text, 'orchard_queue_depth', { queue: 'webhook_deliveries' }), 1);
      assert.ok(sample(text, 'orchard_http_requests_in_flight')! >= 1, 'the scrape itself is in flight');
      assert.notEqual(sample(text, 'process_cpu_user_seconds_total'), undefined);
      assert.ok(sample(text, 'nodejs_heap_size_used_bytes')! > 0);
      // Labels are templates: no repo name, file name or oid becomes a series.
      assert.doesNotMatch(text, /ops-metrics|big\.bin|no-such-repo/);
    });

    test('metrics are for loopback, the metrics token and site admins; readiness is for everyone', async () => {
      // Through a proxy on the same machine the socket is loopback too: a forwarded request is not local.
      await expectError(await api(`${hub.url}/metrics`, undefined, { headers: PROXIED }), 401, 'Unauthorized');
      await expectError(await api(`${hub.url}/metrics`, hub.tokens.bob, { headers: PROXIED }), 403, 'Forbidden');
      await expectError(await api(`${hub.url}/metrics`, 'not-the-metrics-token-0123456789', { headers: PROXIED }), 401);
      assert.match(await scrape({ url: hub.url }, METRICS_TOKEN), /orchard_http_requests_total/);
      const viaToken = await api(`${hub.url}/metrics`, METRICS_TOKEN, { headers: PROXIED });
      assert.equal(viaToken.status, 200);
      await viaToken.text();
      await hub.running.hub.db.updateTable('users').set({ is_admin: 1 }).where('name', '=', 'alice').execute();
      // A read token is enough: Prometheus only reads.
      const admin = await api(`${hub.url}/metrics`, hub.tokens.aliceRead, { headers: PROXIED });
      assert.equal(admin.status, 200);
      assert.match(await admin.text(), /orchard_bytes_served_total|orchard_http_requests_total/);
      await hub.running.hub.db.updateTable('users').set({ is_admin: 0 }).where('name', '=', 'alice').execute();
      const ready = await api(`${hub.url}/readyz`, undefined, { headers: PROXIED });
      assert.equal(ready.status, 200);
      assert.equal((await json(ready)).status, 'ready');
    });

    test('probes are never rate-limited; /metrics is, for callers who are not operators', async () => {
      const tight = await startTestHub({ dialect, env: { ORCHARD_RATE_LIMIT_PER_IP: '2', ORCHARD_RATE_LIMIT_WINDOW: '3600' } });
      try {
        for (let i = 0; i < 6; i++) {
          assert.equal((await api(`${tight.url}/readyz`, undefined, { headers: PROXIED })).status, 200);
          assert.equal((await api(`${tight.url}/healthz`, undefined, { headers: PROXIED })).status, 200);
          assert.equal((await api(`${tight.url}/metrics`)).status, 200, 'a loopback scrape');
        }
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) {
          const r = await api(`${tight.url}/metrics`, undefined, { headers: PROXIED });
          statuses.push(r.status);
          await r.arrayBuffer();
        }
        assert.deepEqual(statuses, [401, 401, 429, 429]);
      } finally {
        await tight.close();
      }
    });

    test('a client on another address is refused metrics, and served readiness', async (t) => {
      const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
      if (!external) return t.skip('no non-loopback IPv4 interface on this machine');
      const open = await startTestHub({ dialect, env: { ORCHARD_HOST: '0.0.0.0' } });
      try {
        const port = (open.running.server.address() as AddressInfo).port;
        const base = `http://${external.address}:${port}`;
        await expectError(await api(`${base}/metrics`), 401, 'Unauthorized');
        assert.equal((await api(`${base}/readyz`)).status, 200);
        assert.equal((await api(`${open.url}/metrics`)).status, 200, 'the same hub serves loopback');
      } finally {
        await open.close();
      }
    });
  });

  describe(`readiness when the database goes away (${dialect})`, () => {
    let hub: TestHub;
    before(async () => {
      hub = await startTestHub({ dialect });
    });
    after(() => hub.close());

    test('readyz answers 503 naming the database; liveness and the metrics page still answer', async () => {
      const restore = await makeDatabaseUnreachable(hub, dialect);
      try {
        const r = await waitUntil(async () => {
          const res = await api(`${hub.url}/readyz`);
          return res.status === 503 ? res : (await res.arrayBuffer(), false);
        }, 'readiness to fail');
        const body = await expectError(r, 503, 'ServiceUnavailable');
        assert.match(body.error, /database/);
        assert.equal(body.status, 'unavailable');
        assert.equal(body.checks.database.ok, false);
        assert.equal(typeof body.checks.database.error, 'string', 'a local operator sees why');
        assert.equal(body.checks.storage.ok, true);
        // A caller from elsewhere learns which check failed, not the internal error.
        const remote = await expectError(await api(`${hub.url}/readyz`, undefined, { headers: PROXIED }), 503, 'ServiceUnavailable');
        assert.equal(remote.checks.database.error, 'failed');
        assert.equal((await api(`${hub.url}/healthz`)).status, 200, 'the process is alive: no restart wanted');
        const text = await scrape(hub);
        assert.ok(sample(text, 'orchard_http_requests_total', { route: 'readyz', status: '503' })! >= 1);
        assert.equal(sample(text, 'orchard_queue_depth', { queue: 'webhook_deliveries' }), undefined, 'an unreadable queue is absent, not 0');
      } finally {
        await restore();
      }
      if (dialect === 'postgres') {
        // The pool connects again on its own once the server takes connections again.
        await waitUntil(async () => (await api(`${hub.url}/readyz`)).status === 200, 'readiness to come back');
        assert.equal(sample(await scrape(hub), 'orchard_queue_depth', { queue: 'webhook_deliveries' }), 0);
      }
    });
  });

  describe(`orchard serve: request log and graceful shutdown (${dialect})`, () => {
    let dataDir: string;
    let database: { url: string; drop(): Promise<void> } | undefined;
    let tokens: Tokens;
    let content: Buffer;
    let first: LoggedHub;
    const repo = 'alice/big';
    const file = (h: { url: string }): string => `${h.url}/${repo}/resolve/main/weights.bin`;

    before(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-ops-'));
      database = dialect === 'postgres' ? await createPgDatabase() : undefined;
      tokens = await seedUsers(dataDir, database?.url);
      first = await spawnLogged(dataDir, database?.url, { ORCHARD_SHUTDOWN_DELAY_SECONDS: '5' });
      assert.equal((await createRepoVia(first, tokens.alice, 'big')).status, 200);
      content = randomBytes(64 * 1024 * 1024);
      const obj = await uploadLfs(first, tokens.alice, repo, content);
      assert.equal((await commitVia(first, tokens.alice, repo, [lfsOp('weights.bin', obj)])).status, 200);
    });
    after(async () => {
      await first?.stop('SIGKILL');
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    });

    test('one JSON line per request, with the request id of X-Request-Id, and no token, cookie or signature', async () => {
      const who = await api(`${first.url}/api/whoami-v2`, tokens.alice, { headers: { cookie: 'orchard_session=cookie-secret-value', 'x-request-id': 'trace-abc.123' } });
      assert.equal(who.status, 200);
      const whoBody = await who.text();
      assert.equal(who.headers.get('x-request-id'), 'trace-abc.123');

      const small = randomBytes(2048);
      const oid = sha256(small);
      const batch = await json(await api(`${first.url}/${repo}.git/info/lfs/objects/batch`, tokens.alice, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ operation: 'upload', objects: [{ oid, size: small.length }] }),
      }));
      const href = new URL(batch.objects[0].actions.upload.href as string);
      const signature = href.searchParams.get('sig')!;
      assert.ok(signature.length >= 16);
      const put = await fetch(href, { method: 'PUT', body: new Uint8Array(small) });
      assert.equal(put.status, 200);
      const missing = await api(`${first.url}/nobody/nothing/resolve/main/f.txt?token=query-secret-value`);
      assert.equal(missing.status, 401);
      await missing.arrayBuffer();

      const ids = [who, put, missing].map((r) => r.headers.get('x-request-id')!);
      const lines = await waitUntil(async () => {
        const parsed = logLines(first.stdout());
        return ids.every((id) => parsed.some((l) => l.msg === 'request' && l.request_id === id)) && parsed;
      }, 'the request lines');
      const line = (id: string): Record<string, any> => lines.find((l) => l.msg === 'request' && l.request_id === id)!;

      const w = line(ids[0]!);
      assert.equal(w.level, 'info');
      assert.equal(w.method, 'GET');
      assert.equal(w.route, 'api.whoami');
      assert.equal(w.path, '/api/whoami-v2');
      assert.equal(w.status, 200);
      assert.equal(w.bytes, Buffer.byteLength(whoBody));
      assert.equal(w.user, 'alice');
      assert.equal(typeof w.user_id, 'string');
      assert.match(w.client, /127\.0\.0\.1$/);
      assert.equal(typeof w.duration_ms, 'number');
      assert.ok(!Number.isNaN(Date.parse(w.time)));

      const p = line(ids[1]!);
      assert.equal(p.route, 'lfs.upload');
      assert.equal(p.method, 'PUT');
      assert.equal(p.path, href.pathname, 'the path without its signed query');
      assert.equal(p.request_bytes, small.length);
      assert.equal(p.user, undefined, 'a signed URL names no user');

      const m = line(ids[2]!);
      assert.equal(m.route, 'resolve');
      assert.equal(m.status, 401);

      const all = first.stdout();
      for (const secret of [tokens.alice, 'cookie-secret-value', signature, 'query-secret-value']) {
        assert.ok(!all.includes(secret), `the log does not contain ${secret.slice(0, 6)}…`);
      }
    });

    test('SIGTERM: readiness fails, then new connections are refused, the download in flight completes, exit 0', async () => {
      const download = await startPausedDownload(file(first));
      const exited = first.exited();
      first.child.kill('SIGTERM');
      // During the delay the process still accepts connections, and tells load balancers to go elsewhere.
      const notReady = await waitUntil(async () => {
        const r = await getFresh(`${first.url}/readyz`);
        return r.status === 503 && r;
      }, 'readyz to answer 503');
      assert.match(JSON.parse(notReady.body).error, /shutting down/);
      assert.equal(notReady.headers.connection, 'close', 'no keep-alive while shutting down');
      await waitUntil(async () => (await getFresh(`${first.url}/healthz`)).error === 'ECONNREFUSED', 'new connections to be refused');
      // Only now does the client read its download, all of it.
      const got = await download.readAll();
      assert.equal(got.complete, true);
      assert.equal(got.bytes, content.length);
      assert.equal(got.sha256, sha256(content));
      assert.equal(await exited, 0);
      const lines = logLines(first.stdout());
      const served = lines.find((l) => l.msg === 'request' && l.route === 'resolve' && l.bytes === content.length);
      assert.ok(served, 'the download is logged in full');
      assert.equal(served.status, 200);
      assert.equal(served.aborted, undefined);
      assert.ok(lines.some((l) => l.msg === 'stopped'));
    });

    test('a second signal stops at once, cutting the download', async () => {
      const hub = await spawnLogged(dataDir, database?.url, {});
      try {
        const download = await startPausedDownload(file(hub));
        const exited = hub.exited();
        hub.child.kill('SIGTERM');
        await waitUntil(async () => hub.stdout().includes('waiting for requests in flight'), 'the hub to wait for the download');
        hub.child.kill('SIGINT');
        assert.equal(await exited, 1);
        const got = await download.readAll();
        assert.equal(got.complete, false);
        assert.ok(got.bytes < content.length);
      } finally {
        await hub.stop('SIGKILL');
      }
    });

    test('past the grace period the download is cut, and the process still exits 0 with the database closed cleanly', async () => {
      const hub = await spawnLogged(dataDir, database?.url, { ORCHARD_SHUTDOWN_GRACE_SECONDS: '1' });
      try {
        const download = await startPausedDownload(file(hub));
        const exited = hub.exited();
        hub.child.kill('SIGTERM');
        assert.equal(await exited, 0);
        const got = await download.readAll();
        assert.equal(got.complete, false);
        const lines = logLines(hub.stdout());
        assert.ok(lines.some((l) => l.level === 'warn' && /cutting requests/.test(l.msg) && l.in_flight === 1));
        const cut = lines.find((l) => l.msg === 'request' && l.route === 'resolve');
        assert.equal(cut?.aborted, true);
        assert.ok(cut.bytes < content.length);
      } finally {
        await hub.stop('SIGKILL');
      }
      // The data is intact for the next process.
      const next = await spawnLogged(dataDir, database?.url, {});
      try {
        const r = await api(`${file(next)}`, undefined, { method: 'HEAD' });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-linked-size'), String(content.length));
      } finally {
        await next.stop('SIGTERM');
      }
    });
  });
}

/** Takes the hub's database away for real; returns how to bring it back. */
async function makeDatabaseUnreachable(hub: TestHub, dialect: TestDialect): Promise<() => Promise<void>> {
  if (dialect === 'sqlite') {
    // The handle is closed under the running hub, as after a failed disk; there is no bringing it back.
    await hub.running.hub.db.destroy();
    return async () => undefined;
  }
  // PostgreSQL refuses new connections to the database and drops the open ones, as in a failover.
  const { sql } = await import('kysely');
  const name = (await sql<{ name: string }>`select current_database() as name`.execute(hub.running.hub.db)).rows[0]!.name;
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: process.env.ORCHARD_TEST_PG_URL });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  return async () => {
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
    await admin.end();
  };
}

/** The complete lines of a JSON log, parsed (a line still being written is left for later). */
function logLines(text: string): Record<string, any>[] {
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
}

interface LoggedHub extends SpawnedHub {
  /** Everything the process wrote to stdout so far (its log). */
  stdout(): string;
  /** Resolves with the exit code. */
  exited(): Promise<number | null>;
}

/** `orchard serve` with a JSON log at level info and the given environment. */
async function spawnLogged(dataDir: string, databaseUrl: string | undefined, env: Record<string, string>): Promise<LoggedHub> {
  const vars: Record<string, string> = { ORCHARD_LOG_LEVEL: 'info', ORCHARD_LOG_FORMAT: 'json', ...env, ...(databaseUrl ? { ORCHARD_DATABASE_URL: databaseUrl } : {}) };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  let started: Promise<SpawnedHub>;
  try {
    // spawnHub copies process.env before its first await.
    started = spawnHub(dataDir);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const hub = await started;
  let out = '';
  hub.child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => {
    if (hub.child.exitCode !== null || hub.child.signalCode !== null) resolve(hub.child.exitCode);
    else hub.child.once('exit', (code) => resolve(code));
  });
  return { ...hub, stdout: () => out, exited: () => exit };
}

/** A GET on a connection of its own (never a pooled one): the status, or the connection error's code. */
function getFresh(url: string): Promise<{ status?: number; body: string; headers: http.IncomingHttpHeaders; error?: string }> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ body, headers: res.headers, error: err.code ?? err.message }));
      })
      .on('error', (err: NodeJS.ErrnoException) => resolve({ body: '', headers: {}, error: err.code ?? err.message }));
  });
}

/** Starts a download and reads none of it until `readAll`: the hub stays blocked writing it. */
async function startPausedDownload(url: string): Promise<{ readAll(): Promise<{ complete: boolean; bytes: number; sha256: string }> }> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    http.get(url, { agent: false }, (r) => {
      r.pause();
      resolve(r);
    }).on('error', reject);
  });
  assert.equal(res.statusCode, 200);
  return {
    readAll: () =>
      new Promise((resolve) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.on('data', (d: Buffer) => {
          hash.update(d);
          bytes += d.length;
        });
        res.on('error', () => undefined);
        res.on('close', () => resolve({ complete: res.complete, bytes, sha256: hash.digest('hex') }));
        res.resume();
      }),
  };
}
