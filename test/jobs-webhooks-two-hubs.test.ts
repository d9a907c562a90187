/**
 * Two hub processes on one PostgreSQL database and one data folder (two
 * `startHub`, as two `orchard serve` behind a load balancer), both running
 * job workers: a burst of pushes through both, to several repos at once,
 * with every first attempt failing, produces each delivery exactly once, in
 * push order per repo. The queue depth of the shared queue is in /metrics.
 *
 * PostgreSQL only: a SQLite hub is one process (docs/operations.md).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { startHub, type RunningHub } from '../src/main.js';
import { api, commitVia, createPgDatabase, createRepoVia, fileOp, json, seedUsers, testDialects, type Tokens } from './helpers/hub.js';
import { type Received, waitUntil, WebhookReceiver } from './helpers/webhook-receiver.js';

const REPOS = ['burst-0', 'burst-1', 'burst-2', 'burst-3'];
const PUSHES = 5;

for (const dialect of testDialects().filter((d) => d === 'postgres')) {
  describe(`webhook deliveries from two hub processes (${dialect})`, () => {
    let pg: { url: string; drop(): Promise<void> };
    let dataDir: string;
    let tokens: Tokens;
    const hubs: RunningHub[] = [];
    let receiver: WebhookReceiver;

    before(async () => {
      receiver = await WebhookReceiver.start();
      pg = await createPgDatabase('orchard_2hubs');
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-2hubs-'));
      tokens = await seedUsers(dataDir, pg.url);
      const env = { ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: '1', ORCHARD_WEBHOOK_RETRY_BASE_MS: '20', ORCHARD_WEBHOOK_MAX_ATTEMPTS: '10', ORCHARD_METRICS_PUBLIC: '1' };
      // One database and one data folder (git repositories) for both, as several processes share them.
      for (let i = 0; i < 2; i++) hubs.push(await startHub(loadConfig({ port: '0', data: dataDir, database: pg.url }, env)));
    });

    after(async () => {
      for (const h of hubs) await h.close();
      await receiver?.close();
      await pg?.drop();
      await rm(dataDir, { recursive: true, force: true });
    });

    test('a burst of pushes through both hubs: each delivery exactly once, in order per repo', async () => {
      const [a, b] = hubs as [RunningHub, RunningHub];
      for (const name of REPOS) assert.equal((await createRepoVia(a, tokens.alice, name)).status, 200);
      const created = await api(`${b.url}/api/settings/webhooks`, tokens.alice, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, watched: [{ type: 'user', name: 'alice' }], domains: ['repo'] }),
      });
      assert.equal(created.status, 200, await created.clone().text());
      const hookId = (await json(created)).webhook.id as string;
      // Every delivery's first attempt fails, so its retry may be taken by either process.
      const seen = new Set<string>();
      receiver.respond = (r) => (seen.has(r.deliveryId) ? 200 : (seen.add(r.deliveryId), 500));

      // Per repo, pushes one after another, alternating between the hubs; the repos at once.
      const shas = new Map<string, string[]>();
      await Promise.all(
        REPOS.map(async (name) => {
          const list: string[] = [];
          for (let i = 0; i < PUSHES; i++) {
            const r = await commitVia(hubs[i % 2]!, tokens.alice, `alice/${name}`, [fileOp('n.txt', `${name} ${i}`)], { summary: `push ${i}` });
            assert.equal(r.status, 200, await r.clone().text());
            list.push((await json(r)).commitOid);
          }
          shas.set(name, list);
        }),
      );

      const total = REPOS.length * PUSHES;
      const log = await waitUntil(async () => {
        const list = await json(await api(`${a.url}/api/settings/webhooks/${hookId}/deliveries?limit=200`, tokens.alice));
        return list.length === total && list.every((d: any) => d.status === 'succeeded') && list;
      }, 'every delivery to succeed', 60_000);

      const ok = receiver.delivered();
      assert.equal(ok.length, total, 'one success per delivery');
      assert.equal(new Set(ok.map((r) => r.deliveryId)).size, total, 'no delivery succeeded twice');
      // Every request the receiver got is an attempt in the log, and the other way round.
      const requests = new Map<string, number>();
      for (const r of receiver.received) requests.set(r.deliveryId, (requests.get(r.deliveryId) ?? 0) + 1);
      for (const d of log) assert.equal(requests.get(d.id), d.attempts, `delivery ${d.id}: requests = attempts`);
      for (const name of REPOS) {
        const mine = (rs: Received[]): Received[] => rs.filter((r) => r.json.repo.name === `alice/${name}`);
        assert.deepEqual(mine(ok).map((r) => r.json.updatedRefs[0].newSha), shas.get(name), `alice/${name}: delivered in push order`);
        // Never a later delivery of a repo before an earlier one succeeded: ids in arrival order only move forward.
        const ids = mine(receiver.received).map((r) => r.deliveryId);
        const order = [...new Set(ids)];
        for (let i = 1; i < ids.length; i++) assert.ok(order.indexOf(ids[i]!) >= order.indexOf(ids[i - 1]!), `alice/${name} interleaved: ${ids}`);
      }

      // The queue is one for both processes: once the delivery jobs are done, both report the same two
      // waiting jobs, the recurring webhook sweep and replication scan, not two each.
      const depth = async (h: RunningHub): Promise<number> => {
        const text = await (await fetch(`${h.url}/metrics`)).text();
        const m = /^orchard_queue_depth\{queue="jobs"\} (\S+)$/m.exec(text);
        assert.ok(m, 'the jobs queue depth is exported');
        return Number(m[1]);
      };
      await waitUntil(async () => (await depth(a)) === 2 && (await depth(b)) === 2, 'a depth of 2 seen from both hubs');
      receiver.respond = () => 200;
    });
  });
}
