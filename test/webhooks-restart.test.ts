/**
 * The webhook queue survives a crash: `orchard serve` runs as a child
 * process, queues deliveries to a receiver that is down (they fail and wait
 * to be retried), is killed with SIGKILL, and starts again on the same data
 * folder and database. Once the receiver is up, every delivery arrives
 * exactly once, in push order. On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, commitVia, createPgDatabase, createRepoVia, fileOp, json, seedUsers, spawnHub, type SpawnedHub, type TestDialect, testDialects, type Tokens } from './helpers/hub.js';
import { verifySignature, waitUntil, WebhookReceiver } from './helpers/webhook-receiver.js';

const SECRET = 'restart-secret';
const PUSHES = 4;

/** A port that nothing listens on now (the receiver is "down"), to listen on later. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}


/** spawnHub passes the test's environment on: set the webhook settings (and database) for the child only while it starts. */
async function spawnWith(env: Record<string, string>, dataDir: string): Promise<SpawnedHub> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await spawnHub(dataDir);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

for (const dialect of testDialects()) {
  describe(`webhook queue across a crash (${dialect})`, () => {
    let dataDir: string;
    let db: { url: string; drop(): Promise<void> } | undefined;
    let tokens: Tokens;
    let hub: SpawnedHub | undefined;
    let receiver: WebhookReceiver | undefined;
    let env: Record<string, string>;

    before(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-webhook-restart-'));
      db = (dialect as TestDialect) === 'postgres' ? await createPgDatabase('orchard_wh') : undefined;
      tokens = await seedUsers(dataDir, db?.url);
      env = {
        ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: '1',
        ORCHARD_WEBHOOK_RETRY_BASE_MS: '50',
        // Enough attempts that nothing gives up while the receiver is down; short leases.
        ORCHARD_WEBHOOK_MAX_ATTEMPTS: '40',
        ORCHARD_WEBHOOK_TIMEOUT_MS: '1000',
        ...(db ? { ORCHARD_DATABASE_URL: db.url } : {}),
      };
    });

    after(async () => {
      await hub?.stop('SIGKILL');
      await receiver?.close();
      await db?.drop();
      await rm(dataDir, { recursive: true, force: true });
    });

    test('pending deliveries survive SIGKILL and arrive exactly once, in order', async () => {
      const port = await freePort();
      hub = await spawnWith(env, dataDir);
      assert.equal((await createRepoVia(hub, tokens.alice, 'durable')).status, 200);
      const created = await api(`${hub.url}/api/settings/webhooks`, tokens.alice, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `http://127.0.0.1:${port}/hook`, watched: [{ type: 'model', name: 'alice/durable' }], domains: ['repo'], secret: SECRET }),
      });
      assert.equal(created.status, 200, await created.clone().text());
      const hookId = (await json(created)).webhook.id as string;
      const shas: string[] = [];
      for (let i = 0; i < PUSHES; i++) {
        const r = await commitVia(hub, tokens.alice, 'alice/durable', [fileOp('n.txt', String(i))], { summary: `push ${i}` });
        assert.equal(r.status, 200);
        shas.push((await json(r)).commitOid);
      }
      const log = async (): Promise<any[]> => json(await api(`${hub!.url}/api/settings/webhooks/${hookId}/deliveries`, tokens.alice));
      // The receiver is down: the oldest delivery has failed at least once and waits; the others wait behind it.
      const before = await waitUntil(async () => {
        const list = await log();
        return list.length === PUSHES && list[PUSHES - 1].attempts >= 1 && list;
      }, 'a failed first attempt');
      assert.ok(before.every((d) => d.status === 'pending'), JSON.stringify(before));
      assert.match(before[PUSHES - 1].error, /ECONNREFUSED/);
      assert.ok(before.slice(0, PUSHES - 1).every((d) => d.attempts === 0), 'newer deliveries wait behind the oldest');

      await hub.stop('SIGKILL');
      hub = await spawnWith(env, dataDir);
      receiver = await WebhookReceiver.start(port);
      await receiver.waitFor((rs) => rs.length >= PUSHES, `${PUSHES} deliveries`, 60_000);
      const done = await waitUntil(async () => {
        const list = await log();
        return list.every((d) => d.status === 'succeeded') && list;
      }, 'every delivery succeeded', 60_000);
      assert.equal(done.length, PUSHES);

      const ids = receiver.received.map((r) => r.deliveryId);
      assert.equal(new Set(ids).size, ids.length, `each delivery exactly once: ${ids}`);
      assert.deepEqual(ids, [...done].reverse().map((d) => d.id), 'in the order they were queued');
      assert.deepEqual(receiver.received.map((r) => r.json.updatedRefs[0].newSha), shas, 'in push order');
      for (const r of receiver.received) assert.ok(verifySignature(SECRET, r.headers, r.body));
    });
  });
}
