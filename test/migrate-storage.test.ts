/**
 * `orchard migrate-storage` (docs/storage.md): a hub on SQLite + its data
 * folder, with users, tokens, public and private repos, LFS files,
 * discussions, webhooks and evals, is moved to PostgreSQL + an S3 bucket
 * (s3rver, an emulator: docs/storage.md), interrupted twice with SIGKILL
 * (while copying tables, then objects) and resumed; a hub started on the new
 * backends is checked with the real `@huggingface/hub` client; then the hub
 * is moved back to SQLite + folder and checked again. Needs PostgreSQL.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { commit, downloadFile, HubApiError, listModels, modelInfo, uploadFile, whoAmI } from '@huggingface/hub';
import pg from 'pg';
import { api, CLI, createPgDatabase, createRepoVia, expectError, json, sha256, startTestHub, uploadLfs, type Tokens, primaryPassOnly } from './helpers/hub.js';
import { startHubProcess, type HubProcess } from './helpers/multi-hub.js';
import { startS3Emulator, type S3Emulator } from './helpers/s3-emulator.js';
import { waitUntil } from './helpers/webhook-receiver.js';

const blobOf = (b: Buffer | string): Blob => new Blob([new Uint8Array(Buffer.from(b))]);
const bytesOf = async (blob: Blob | null): Promise<Buffer> => Buffer.from(await blob!.arrayBuffer());
const keyOf = (oid: string): string => `lfs/${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`;

function weights(size: number): Buffer {
  const b = randomBytes(size);
  for (let i = 0; i < Math.min(512, size); i++) if (b[i] === 0) b[i] = 1;
  return b;
}

interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function migrate(args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, [CLI, 'migrate-storage', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))) };
}

if (!process.env.ORCHARD_TEST_PG_URL) {
  test('orchard migrate-storage', { skip: 'needs PostgreSQL: set ORCHARD_TEST_PG_URL=postgres://user@host:port/db' }, () => undefined);
} else {
  describe('orchard migrate-storage: SQLite + folder -> PostgreSQL + S3 (s3rver emulator) -> SQLite + folder', { skip: primaryPassOnly }, () => {
    let s3: S3Emulator;
    let database: { url: string; drop(): Promise<void> };
    let dataDir: string;
    let tokens: Tokens;
    let hub: HubProcess | undefined;
    const lfsFiles = new Map<string, { repo: string; bytes: Buffer }>();
    /** Objects uploaded without a commit: they still move (the store's listing, not the repos, says what to copy). */
    const loose: Buffer[] = [];
    const sql = async <T>(text: string): Promise<T[]> => {
      const c = new pg.Client({ connectionString: database.url });
      await c.connect();
      try {
        return (await c.query(text)).rows as T[];
      } finally {
        await c.end();
      }
    };
    const toPg = (): string[] => ['--from-data', dataDir, '--to-database', database.url, '--to-store', 's3', '--batch', '1'];

    before(async () => {
      s3 = await startS3Emulator();
      database = await createPgDatabase('orchard_ms');
      // The source: a hub on SQLite and its data folder, filled through its API.
      const source = await startTestHub({ dialect: 'sqlite', env: { ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' } });
      dataDir = source.dataDir;
      tokens = source.tokens;
      try {
        await fill(source);
      } finally {
        // The hub stops before a migration (the command's rule).
        await source.running.close();
      }
    });
    async function fill(source: Awaited<ReturnType<typeof startTestHub>>): Promise<void> {
      const c = { hubUrl: source.url, accessToken: tokens.alice };
      assert.equal((await createRepoVia(source, tokens.alice, 'public-model')).status, 200);
      assert.equal((await createRepoVia(source, tokens.alice, 'secret-model', { private: true })).status, 200);
      const card = ['---', 'model-index:', '- name: public-model', '  results:', '  - task: {type: text-classification}', '    dataset: {type: imdb, name: IMDb}',
        '    metrics:', '    - {type: accuracy, value: 93.1}', '---', '# Public model', ''].join('\n');
      // Many small files: enough rows that the copy, one row per batch, can be interrupted.
      await commit({ ...c, repo: 'alice/public-model', title: 'card and notes', operations: [
        { operation: 'addOrUpdate', path: 'README.md', content: blobOf(card) },
        ...Array.from({ length: 80 }, (_, i) => ({ operation: 'addOrUpdate' as const, path: `notes/${i}.txt`, content: blobOf(`note ${i}\n`) })),
      ] });
      for (const [repo, file] of [['alice/public-model', 'model.bin'], ['alice/secret-model', 'secret.bin']] as const) {
        const bytes = weights(3 * 1024 * 1024 + file.length);
        await uploadFile({ ...c, repo, file: { path: file, content: blobOf(bytes) } });
        lfsFiles.set(file, { repo, bytes });
      }
      for (let i = 0; i < 24; i++) {
        loose.push(weights(200_000 + i));
        await uploadLfs(source, tokens.alice, 'alice/public-model', loose[i]!);
      }
      const d = await api(`${source.url}/api/models/alice/public-model/discussions`, tokens.bob, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Which license?', description: 'Is this MIT?' }) });
      assert.equal(d.status, 200, await d.clone().text());
      const w = await api(`${source.url}/api/settings/webhooks`, tokens.alice, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', domains: ['repo'], watched: [{ type: 'user', name: 'alice' }] }) });
      assert.equal(w.status, 200, await w.clone().text());
    }
    after(async () => {
      await hub?.stop('SIGKILL');
      await s3?.close();
      await database?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    test('refused while a hub runs on the data folder: nothing is written to the target', async () => {
      const running = await startHubProcess({ dataDir });
      try {
        const r = await migrate(toPg(), s3.env).done;
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /the hub is still running \(process \d+ on this host\)/);
        assert.deepEqual(await sql(`select table_name from information_schema.tables where table_schema = 'public'`), [], 'the target database is untouched');
      } finally {
        await running.stop();
      }
    });

    test('to PostgreSQL + S3: interrupted while copying tables and again while copying objects, refused without --resume, resumed to the end, nothing copied twice', async () => {
      // 1. SIGKILL while tables are being copied (the progress record shows some done, not all).
      const first = migrate(toPg(), s3.env);
      await waitUntil(async () => {
        const rows = await sql<{ n: number }>(`select count(*)::int as n from orchard_migrate_progress where done = 1`).catch(() => [{ n: 0 }]);
        return rows[0]!.n >= 3;
      }, 'some tables copied', 60_000);
      first.child.kill('SIGKILL');
      assert.equal((await first.done).signal, 'SIGKILL');
      assert.deepEqual(await s3.objectKeys(), [], 'objects come after the tables');

      // 2. Without --resume, the unfinished target is refused; nothing is touched.
      const refused = await migrate(toPg(), s3.env).done;
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /did not finish: run the same command again with --resume/);

      // 3. Resumed, then SIGKILLed again while objects are being copied.
      const putsBefore = s3.requests.length;
      const second = migrate([...toPg(), '--resume'], s3.env);
      await waitUntil(async () => s3.requests.slice(putsBefore).filter((r) => r.method === 'PUT').length >= 6 || undefined, 'objects being copied', 60_000);
      second.child.kill('SIGKILL');
      await second.done;
      // Complete at the kill: the objects the bucket serves (HEAD) with their full size. (s3rver may still
      // be finishing a PUT whose sender died; such an object counts as stored later, and is not rewritten either.)
      const storedAtKill = new Set<string>();
      for (const key of await s3.objectKeys()) {
        const headed = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key })).catch(() => undefined);
        if (headed?.ContentLength !== undefined && headed.ContentLength > 0) storedAtKill.add(key);
      }
      assert.ok(storedAtKill.size > 0 && storedAtKill.size < loose.length + lfsFiles.size, `${storedAtKill.size} objects stored at the kill`);
      const seenAtKill = s3.requests.length;

      // 4. Resumed to the end.
      const third = await migrate([...toPg(), '--resume'], s3.env).done;
      assert.equal(third.code, 0, third.stderr);
      assert.match(third.stderr, /Resuming: \d+ of \d+ tables already copied/);
      assert.match(third.stderr, /Verified \d+ tables \(row counts\) and 26 objects \(size and sha256\)/);
      const report = JSON.parse(third.stdout);
      assert.equal(report.resumed, true);
      assert.equal(report.objects, 26);
      assert.ok(report.objectsAlreadyThere >= storedAtKill.size, `${report.objectsAlreadyThere} skipped, ${storedAtKill.size} complete at the kill`);
      // Nothing twice: no object that was complete at the kill was written again.
      const rewritten = s3.requests.slice(seenAtKill).filter((r) => r.method === 'PUT' || r.method === 'POST').filter((r) => storedAtKill.has(r.path.replace(`/${s3.bucket}/`, '')));
      assert.deepEqual(rewritten, []);
      const rows = Object.fromEntries(report.tables.map((t: { name: string; rows: number }) => [t.name, t.rows]));
      for (const t of ['users', 'tokens', 'repos', 'commits', 'tree_entries', 'discussions', 'webhooks', 'eval_results', 'settings']) assert.ok(rows[t] > 0, `${t}: ${rows[t]}`);
      assert.ok(!report.tables.some((t: { name: string }) => t.name.startsWith('repos_name_fts')), 'SQLite\'s search table is its own');
      // The target holds no progress record once verified, and no more objects than the source.
      assert.equal((await sql<{ n: number }>(`select count(*)::int as n from information_schema.tables where table_name = 'orchard_migrate_progress'`))[0]!.n, 0);
      assert.equal((await s3.objectKeys()).length, 26);
      assert.deepEqual(await s3.pendingUploads(), []);

      // 5. A second migration into the filled target is refused.
      const again = await migrate(toPg(), s3.env).done;
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already has 2 repo\(s\)/);
    });

    test('a hub on PostgreSQL + S3 has everything: tokens work, bytes equal, private still private, discussions, webhooks, evals', async () => {
      // The old folder store goes: every byte must now come from the bucket.
      await rm(path.join(dataDir, 'lfs'), { recursive: true, force: true });
      hub = await startHubProcess({ dataDir, databaseUrl: database.url, env: s3.env });
      await checkHub(hub.url);
      // And it takes new writes.
      const extra = weights(2 * 1024 * 1024);
      await uploadFile({ hubUrl: hub.url, accessToken: tokens.alice, repo: 'alice/public-model', file: { path: 'after-move.bin', content: blobOf(extra) } });
      lfsFiles.set('after-move.bin', { repo: 'alice/public-model', bytes: extra });
      assert.ok((await s3.objectKeys()).includes(keyOf(sha256(extra))));
      // Moving back while this hub runs is refused: seen through its worker pool's lock in PostgreSQL
      // (from any host) and its scratch folder (on this one). Nothing is created in the target.
      const target = path.join(dataDir, 'while-running.sqlite');
      const refused = await migrate(['--from-data', dataDir, '--from-database', database.url, '--from-store', 's3', '--to-database', `sqlite:${target}`, '--to-store', 'folder'], s3.env).done;
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /the hub is still running \(process \d+ on this host; 1 job-queue worker pool\(s\) connected to the source database\)/);
      assert.equal(await readFile(target).catch(() => undefined), undefined, 'no target database created');
      await hub.stop();
      hub = undefined;
    });

    test('and back to SQLite + folder', async () => {
      for (const f of ['orchard.sqlite', 'orchard.sqlite-wal', 'orchard.sqlite-shm']) await rm(path.join(dataDir, f), { force: true });
      const back = await migrate(['--from-data', dataDir, '--from-database', database.url, '--from-store', 's3', '--to-database', `sqlite:${path.join(dataDir, 'orchard.sqlite')}`, '--to-store', 'folder'], s3.env).done;
      assert.equal(back.code, 0, back.stderr);
      assert.equal(JSON.parse(back.stdout).objects, 27);
      // No S3 settings: the hub reads the folder store only.
      hub = await startHubProcess({ dataDir });
      await checkHub(hub.url);
    });

    test('bad flags are refused with a clear message', async () => {
      const noTarget = await migrate(['--from-data', dataDir], {}).done;
      assert.equal(noTarget.code, 2);
      assert.match(noTarget.stderr, /Usage: orchard migrate-storage/);
      const badStore = await migrate(['--from-data', dataDir, '--to-database', database.url, '--to-store', 'tape'], {}).done;
      assert.equal(badStore.code, 1);
      assert.match(badStore.stderr, /--to-store must be folder or s3/);
      const noBucket = await migrate(['--from-data', dataDir, '--to-database', database.url, '--to-store', 's3'], {}).done;
      assert.equal(noBucket.code, 1);
      assert.match(noBucket.stderr, /needs ORCHARD_S3_BUCKET/);
    });

    async function checkHub(url: string): Promise<void> {
      assert.equal((await whoAmI({ hubUrl: url, accessToken: tokens.alice })).name, 'alice');
      assert.equal((await whoAmI({ hubUrl: url, accessToken: tokens.bob })).name, 'bob');
      for (const [file, { repo, bytes }] of lfsFiles) {
        const got = await bytesOf(await downloadFile({ hubUrl: url, accessToken: tokens.alice, repo, path: file }));
        assert.equal(sha256(got), sha256(bytes), file);
      }
      assert.equal((await bytesOf(await downloadFile({ hubUrl: url, repo: 'alice/public-model', path: 'notes/7.txt' }))).toString(), 'note 7\n');
      // Private stays private: bob and anonymous callers do not see it, alice's read token does.
      await modelInfo({ hubUrl: url, accessToken: tokens.aliceRead, name: 'alice/secret-model' });
      await assert.rejects(modelInfo({ hubUrl: url, accessToken: tokens.bob, name: 'alice/secret-model' }), (e: unknown) => e instanceof HubApiError && e.statusCode === 404);
      await assert.rejects(modelInfo({ hubUrl: url, name: 'alice/secret-model' }), (e: unknown) => e instanceof HubApiError && e.statusCode === 401);
      const anon: string[] = [];
      for await (const m of listModels({ hubUrl: url, search: { owner: 'alice' } })) anon.push(m.name);
      assert.deepEqual(anon, ['alice/public-model']);
      const mine: string[] = [];
      for await (const m of listModels({ hubUrl: url, accessToken: tokens.alice, search: { owner: 'alice' } })) mine.push(m.name);
      assert.deepEqual(mine.sort(), ['alice/public-model', 'alice/secret-model']);
      // Search runs on the target's own text search.
      const found: string[] = [];
      for await (const m of listModels({ hubUrl: url, search: { query: 'public-mod' } })) found.push(m.name);
      assert.deepEqual(found, ['alice/public-model']);
      // The read token is still read-only.
      await expectError(await api(`${url}/api/repos/create`, tokens.aliceRead, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'nope', type: 'model' }) }), 403);
      const discussions = await json(await api(`${url}/api/models/alice/public-model/discussions`));
      assert.deepEqual(discussions.discussions.map((x: { title: string }) => x.title), ['Which license?']);
      const hooks = await json(await api(`${url}/api/settings/webhooks`, tokens.alice));
      assert.deepEqual((Array.isArray(hooks) ? hooks : hooks.webhooks).map((h: { url: string }) => h.url), ['http://127.0.0.1:9/hook']);
      const info = await json(await api(`${url}/api/models/alice/public-model`));
      assert.equal(info.id, 'alice/public-model');
      assert.ok(JSON.stringify(info.cardData ?? info).includes('93.1'), 'the card metadata and its eval results came along');
    }
  });
}
