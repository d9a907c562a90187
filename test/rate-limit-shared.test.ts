/**
 * Rate limits shared by several hub processes (docs/operations.md): the
 * database store behaves like the in-memory one, and two hubs on one
 * database count one caller's requests together.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { DatabaseRateLimitStore } from '../src/http/rate-limit-db.js';
import { startHub } from '../src/main.js';
import { createPgDatabase, testDialects } from './helpers/hub.js';

for (const dialect of testDialects()) {
  describe(`shared rate limits (${dialect})`, () => {
    test('the database store: the limit, refills, debt and resets, as the memory store', async () => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-rl-'));
      const pg = dialect === 'postgres' ? await createPgDatabase() : undefined;
      const opened = await openDatabase({ url: pg?.url, dataDir });
      try {
        let now = 1_000_000;
        const store = new DatabaseRateLimitStore(opened.db, opened.dialect, () => now);
        const policy = { name: 'api', limit: 3, windowMs: 3000 };
        for (let i = 0; i < 3; i++) assert.equal((await store.take('k', policy, 0)).allowed, true);
        const refused = await store.take('k', policy, 0);
        assert.equal(refused.allowed, false);
        assert.equal(refused.remaining, 0);
        assert.equal(refused.retryAfterMs, 1000);
        assert.equal((await store.take('other', policy, 0)).allowed, true, 'keys do not share a bucket');
        now += 999;
        assert.equal((await store.take('k', policy, 0)).allowed, false, 'a refused request takes nothing');
        now += 1;
        assert.equal((await store.take('k', policy, 0)).allowed, true);
        assert.equal((await store.take('k', policy, 3)).allowed, true, 'a continuation may go into debt');
        assert.equal((await store.take('k', policy, 3)).allowed, true);
        now += 1_000_000;
        assert.equal((await store.take('k', policy, 0)).remaining, 2, 'never more than the limit');
        await store.take('k', policy, 0);
        await store.take('k', policy, 0);
        assert.equal((await store.take('k', policy, 0)).allowed, false);
        await store.reset('k');
        assert.equal((await store.take('k', policy, 0)).allowed, true, 'reset forgets the bucket');
        // Concurrent takes from one bucket never over-admit.
        const many = await Promise.all(Array.from({ length: 20 }, () => store.take('race', { name: 'api', limit: 7, windowMs: 1e9 }, 0)));
        assert.equal(many.filter((r) => r.allowed).length, 7);
      } finally {
        await opened.close();
        await pg?.drop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });

    test('two hubs on one database count one caller together', async () => {
      const dirs = [await mkdtemp(path.join(os.tmpdir(), 'orchard-rl-a-')), await mkdtemp(path.join(os.tmpdir(), 'orchard-rl-b-'))];
      const pg = dialect === 'postgres' ? await createPgDatabase() : undefined;
      // SQLite: one data folder (one database file) for both; PostgreSQL: one database.
      const data = (i: number): string => (pg ? dirs[i]! : dirs[0]!);
      const env = { ORCHARD_RATE_LIMIT_PER_IP: '5', ORCHARD_RATE_LIMIT_STORE: 'database' };
      const hubs = [];
      try {
        for (const i of [0, 1]) hubs.push(await startHub(loadConfig({ port: '0', data: data(i), ...(pg ? { database: pg.url } : {}) }, env)));
        const statuses: number[] = [];
        for (let i = 0; i < 8; i++) {
          const r = await fetch(`${hubs[i % 2]!.url}/api/models`);
          statuses.push(r.status);
          await r.arrayBuffer();
        }
        assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
      } finally {
        for (const h of hubs) await h.close();
        await pg?.drop();
        for (const d of dirs) await rm(d, { recursive: true, force: true });
      }
    });
  });
}
