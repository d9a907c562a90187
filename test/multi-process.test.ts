/**
 * Several hub processes as one hub (issue 8, item 3): three `orchard serve`
 * child processes on one PostgreSQL database, one shared data folder (git
 * repos) and one S3 bucket (s3rver, an emulator: docs/storage.md), driven
 * through different ports at once by the real `@huggingface/hub` client.
 * One process is killed with SIGKILL in the middle of a large LFS upload and
 * while commits are in flight; then nothing may be half-visible, exactly the
 * acknowledged commits (plus at most the ones in flight at the kill) exist,
 * and the survivors keep serving. PostgreSQL only: SQLite is for one process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { commit, downloadFile, fileDownloadInfo, listFiles, modelInfo, uploadFile, HubApiError } from '@huggingface/hub';
import pg from 'pg';
import { api, createPgDatabase, createRepoVia, seedUsers, sha256, type Tokens, primaryPassOnly } from './helpers/hub.js';
import { startHubProcess, type HubProcess } from './helpers/multi-hub.js';
import { startS3Emulator, type S3Emulator } from './helpers/s3-emulator.js';
import { waitUntil } from './helpers/webhook-receiver.js';

const exec = promisify(execFile);
const REPO = 'alice/shared';
const keyOf = (oid: string): string => `lfs/${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`;

/** Random bytes that no client mistakes for text, so that LFS rules alone decide. */
function weights(size: number): Buffer {
  const b = randomBytes(size);
  for (let i = 0; i < Math.min(512, size); i++) if (b[i] === 0) b[i] = 1;
  return b;
}

const blobOf = (b: Buffer | string): Blob => new Blob([new Uint8Array(Buffer.from(b))]);
const bytesOf = async (blob: Blob | null): Promise<Buffer> => Buffer.from(await blob!.arrayBuffer());

if (!process.env.ORCHARD_TEST_PG_URL) {
  test('several hub processes as one hub', { skip: 'needs PostgreSQL: set ORCHARD_TEST_PG_URL=postgres://user@host:port/db' }, () => undefined);
} else {
  describe('three hub processes on one PostgreSQL, one git folder and one S3 bucket (s3rver emulator)', { skip: primaryPassOnly }, () => {
    let s3: S3Emulator;
    let database: { url: string; drop(): Promise<void> };
    let dataDir: string;
    let tokens: Tokens;
    let hubs: HubProcess[] = [];
    let repoId: string;
    let gitDir: string;
    const hubOpts = (port = 0): Parameters<typeof startHubProcess>[0] => ({ dataDir, databaseUrl: database.url, port, env: s3.env });
    const client = (i: number): { hubUrl: string; accessToken: string; repo: string } => ({ hubUrl: hubs[i]!.url, accessToken: tokens.alice, repo: REPO });
    const sql = async <T>(text: string, params: unknown[] = []): Promise<T[]> => {
      const c = new pg.Client({ connectionString: database.url });
      await c.connect();
      try {
        return (await c.query(text, params)).rows as T[];
      } finally {
        await c.end();
      }
    };
    const git = async (...args: string[]): Promise<string> => (await exec('git', ['--git-dir', gitDir, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    const gitHead = async (): Promise<string> => (await git('rev-parse', 'refs/heads/main')).trim();
    /** The subject of every commit on main, from git itself (not the index). */
    const historyTitles = async (): Promise<string[]> => (await git('log', '--format=%s', 'refs/heads/main')).split('\n').filter(Boolean);
    const infoSha = async (i: number): Promise<string> => {
      const info = await modelInfo({ name: REPO, hubUrl: hubs[i]!.url, accessToken: tokens.alice, additionalFields: ['sha'] });
      return (info as unknown as { sha: string }).sha;
    };

    before(async () => {
      s3 = await startS3Emulator();
      database = await createPgDatabase('orchard_mp');
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-mp-'));
      tokens = await seedUsers(dataDir, database.url);
      // One after the other: the first applies the migrations.
      for (let i = 0; i < 3; i++) hubs.push(await startHubProcess(hubOpts()));
      assert.equal((await createRepoVia(hubs[0]!, tokens.alice, 'shared')).status, 200);
      repoId = (await sql<{ id: string }>(`select id from repos where namespace = 'alice' and name = 'shared'`))[0]!.id;
      gitDir = path.join(dataDir, 'git', `${repoId}.git`);
    });
    after(async () => {
      for (const h of hubs) await h.stop('SIGKILL').catch(() => undefined);
      await s3?.close();
      await database?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    test('commits pinned to one parent from three processes at once: exactly one succeeds, the others get 412', async () => {
      await commit({ ...client(0), title: 'base', operations: [{ operation: 'addOrUpdate', path: 'base.txt', content: blobOf('base\n') }] });
      const parent = await gitHead();
      const tries = await Promise.allSettled(
        [0, 1, 2, 0, 1, 2].map((h, i) =>
          commit({ ...client(h), title: `pinned ${i}`, parentCommit: parent, operations: [{ operation: 'addOrUpdate', path: `pinned/${i}.txt`, content: blobOf(`pinned ${i}\n`) }] }),
        ),
      );
      const won = tries.filter((t) => t.status === 'fulfilled');
      assert.equal(won.length, 1, JSON.stringify(tries.map((t) => t.status)));
      for (const t of tries) {
        if (t.status === 'rejected') {
          assert.ok(t.reason instanceof HubApiError, String(t.reason));
          assert.equal(t.reason.statusCode, 412, t.reason.message);
        }
      }
      const oid = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof commit>>>).value!.commit.oid;
      assert.equal(await gitHead(), oid);
      assert.equal((await git('rev-parse', `${oid}^`)).trim(), parent);
      // The index of every process says the same as git.
      for (let i = 0; i < 3; i++) assert.equal(await infoSha(i), oid, `process ${i}`);
    });

    test('commits without a parent from three processes at once all land, none lost, each readable at once through another process', async () => {
      const before = new Set(await historyTitles());
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, i) => i).map(async (i) => {
          const writer = i % 3;
          const reader = (i + 1) % 3;
          const file = `free/${i}.txt`;
          const out = await commit({ ...client(writer), title: `free ${i}`, operations: [{ operation: 'addOrUpdate', path: file, content: blobOf(`free ${i}\n`) }] });
          const oid = out!.commit.oid;
          // Read after write through another process: the commit is there (the head may have moved on since).
          const info = await fileDownloadInfo({ ...client(reader), path: file, revision: oid });
          assert.ok(info, `${file} resolves at ${oid} through process ${reader}`);
          const text = await bytesOf(await downloadFile({ ...client(reader), path: file, revision: oid }));
          assert.equal(text.toString(), `free ${i}\n`);
          return oid;
        }),
      );
      const titles = await historyTitles();
      for (let i = 0; i < 9; i++) assert.ok(titles.includes(`free ${i}`), `free ${i} is in the history`);
      assert.equal(titles.length, before.size + 9);
      // Linear history: every acknowledged commit is an ancestor of the head.
      for (const oid of results) await git('merge-base', '--is-ancestor', oid, 'refs/heads/main');
      const head = await gitHead();
      const files = new Set<string>();
      for await (const f of listFiles({ ...client(2), recursive: true, path: 'free' })) files.add(f.path);
      for (let i = 0; i < 9; i++) assert.ok(files.has(`free/${i}.txt`), `free/${i}.txt in the tree through process 2`);
      for (let i = 0; i < 3; i++) assert.equal(await infoSha(i), head, `process ${i} sees the head`);
    });

    test('LFS uploads through one process and downloads through the others: bytes equal, objects in the bucket', async () => {
      const files = [0, 1, 2].map((i) => ({ path: `weights/part-${i}.bin`, bytes: weights(9 * 1024 * 1024 + i * 4099) }));
      const outs = await Promise.all(files.map((f, i) => uploadFile({ ...client(i), file: { path: f.path, content: blobOf(f.bytes) } })));
      for (const o of outs) assert.ok(o?.commit.oid);
      for (const [i, f] of files.entries()) {
        for (const reader of [0, 1, 2]) {
          const got = await bytesOf(await downloadFile({ ...client(reader), path: f.path }));
          assert.equal(sha256(got), sha256(f.bytes), `${f.path} through process ${reader} (uploaded through ${i})`);
        }
        assert.ok((await s3.objectKeys()).includes(keyOf(sha256(f.bytes))));
      }
      const head = await gitHead();
      for (let i = 0; i < 3; i++) {
        assert.equal(await infoSha(i), head);
        const r = await api(`${hubs[i]!.url}/${REPO}/resolve/main/${files[2]!.path}`, tokens.alice, { method: 'HEAD', redirect: 'manual' });
        assert.equal(r.status, 302);
        assert.equal(r.headers.get('x-repo-commit'), head);
        assert.equal(r.headers.get('x-linked-etag'), `"${sha256(files[2]!.bytes)}"`);
      }
    });

    test('SIGKILL of one process during a large LFS upload and commits: nothing half-visible, exactly the acknowledged commits, survivors serve, restart recovers', async () => {
      const victim = 1;
      const victimPort = hubs[victim]!.port;
      // A slowed client: it sends the first 40 MiB of a 96 MiB object, then waits for the kill.
      const size = 96 * 1024 * 1024;
      const chunk = weights(1024 * 1024);
      const big = Buffer.concat(Array.from({ length: size / chunk.length }, () => chunk));
      const bigOid = sha256(big);
      const batch = await api(`${hubs[victim]!.url}/${REPO}.git/info/lfs/objects/batch`, tokens.alice, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.git-lfs+json', accept: 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ operation: 'upload', transfers: ['basic'], hash_algo: 'sha_256', objects: [{ oid: bigOid, size }] }),
      });
      assert.equal(batch.status, 200);
      const href = ((await batch.json()) as { objects: { actions: { upload: { href: string } } }[] }).objects[0]!.actions.upload.href;
      let sent = 0;
      const body = Readable.from((async function* () {
        for (let off = 0; off < size; off += chunk.length) {
          if (off >= 40 * 1024 * 1024) await new Promise(() => undefined); // until the connection dies
          sent += chunk.length;
          yield chunk;
        }
      })());
      const upload = fetch(href, { method: 'PUT', body: body as unknown as BodyInit, duplex: 'half' } as RequestInit).then(
        (r) => ({ status: r.status }),
        (err: unknown) => ({ error: String(err) }),
      );

      // Commits in flight on the victim and on a survivor while it dies; each title is unique.
      const acknowledged = new Set<string>();
      const inFlightAtKill = new Set<string>();
      let killed = false;
      const writer = async (h: number, tag: string): Promise<void> => {
        for (let n = 0; !killed || h !== victim; n++) {
          const title = `${tag} ${n}`;
          inFlightAtKill.add(title);
          try {
            await commit({ ...client(h), title, operations: [{ operation: 'addOrUpdate', path: `loop/${tag}-${n}.txt`, content: blobOf(`${title}\n`) }] });
            acknowledged.add(title);
            inFlightAtKill.delete(title);
          } catch (err) {
            // Only the victim's requests may fail, and only from the kill on.
            assert.equal(h, victim, `${title} failed on survivor ${h}: ${String(err)}`);
            assert.ok(killed, `${title} failed before the kill: ${String(err)}`);
            return;
          }
          if (h !== victim && killed) return;
        }
      };
      const writers = [writer(victim, 'victim'), writer(0, 'survivor')];
      // The hub streams to the bucket in parts: once the multipart upload exists, bytes are in flight.
      await waitUntil(async () => (await s3.pendingUploads(keyOf(bigOid))).length > 0 && acknowledged.size >= 2, "the upload reaching the bucket and commits landing", 60_000);
      assert.ok(sent < size);
      killed = true;
      await hubs[victim]!.stop('SIGKILL');
      const up = await upload;
      assert.ok('error' in up || up.status >= 400, `the cut upload was not acknowledged: ${JSON.stringify(up)}`);
      await Promise.all(writers);
      // The survivor's last commit after the kill is in `acknowledged`; only the victim's may be in flight.
      for (const t of inFlightAtKill) assert.match(t, /^victim /);
      assert.ok(inFlightAtKill.size <= 1);

      // Nothing half-visible: the object is not in the bucket, and no process hands it out or accepts it in a commit.
      assert.ok(!(await s3.objectKeys()).includes(keyOf(bigOid)));
      await assert.rejects(s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: keyOf(bigOid) })));
      const pointer = await api(`${hubs[2]!.url}/api/models/${REPO}/commit/main`, tokens.alice, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: [{ key: 'header', value: { summary: 'points at the cut object' } }, { key: 'lfsFile', value: { path: 'cut.bin', algo: 'sha256', oid: bigOid, size } }].map((l) => JSON.stringify(l)).join('\n'),
      });
      assert.ok(pointer.status >= 400 && pointer.status < 500, `a commit of the cut object is refused, got ${pointer.status}`);
      await pointer.text();

      // Exactly the acknowledged commits exist (plus, at most, the one whose answer the kill swallowed).
      const titles = await historyTitles();
      for (const t of acknowledged) assert.ok(titles.includes(t), `acknowledged ${t} exists`);
      for (const t of titles.filter((x) => /^(victim|survivor) /.test(x))) assert.ok(acknowledged.has(t) || inFlightAtKill.has(t), `${t} exists but was never sent`);
      assert.ok(!titles.includes('points at the cut object'));
      // No commit points at a missing object: every LFS file of the head is complete in the bucket.
      const lfs: { path: string; oid: string; size: number }[] = [];
      for await (const f of listFiles({ ...client(0), recursive: true })) if (f.lfs) lfs.push({ path: f.path, oid: f.lfs.oid, size: f.lfs.size });
      assert.ok(lfs.length >= 3);
      for (const f of lfs) {
        const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: keyOf(f.oid) }));
        assert.equal(head.ContentLength, f.size, f.path);
      }
      const fsck = await exec('git', ['--git-dir', gitDir, 'fsck', '--strict', '--no-dangling'], { maxBuffer: 16 * 1024 * 1024 });
      assert.equal(fsck.stderr.trim(), '', fsck.stderr);

      // The survivors keep serving, reads and writes.
      for (const i of [0, 2]) {
        assert.equal((await api(`${hubs[i]!.url}/readyz`)).status, 200);
        await commit({ ...client(i), title: `after kill ${i}`, operations: [{ operation: 'addOrUpdate', path: `after/${i}.txt`, content: blobOf('ok\n') }] });
      }
      const small = weights(6 * 1024 * 1024 + 17);
      await uploadFile({ ...client(2), file: { path: 'weights/after.bin', content: blobOf(small) } });
      assert.ok((await bytesOf(await downloadFile({ ...client(0), path: 'weights/after.bin' }))).equals(small));

      // Restart the killed process on its port while the others keep answering; it re-syncs what it left pending.
      let restarted = false;
      const reads = (async () => {
        let n = 0;
        while (!restarted) {
          for (const i of [0, 2]) assert.equal(await infoSha(i), await gitHead(), `process ${i} during the restart`);
          n++;
        }
        return n;
      })();
      hubs[victim] = await startHubProcess(hubOpts(victimPort));
      restarted = true;
      assert.ok((await reads) >= 1);
      assert.deepEqual(await sql(`select repo_id from pending_syncs`), [], 'no pending marks are left');
      const gitRefs = (await git('for-each-ref', '--format=%(refname) %(objectname)')).trim().split('\n').sort();
      const dbRefs = (await sql<{ name: string; oid: string }>(`select name, oid from refs where repo_id = $1`, [repoId])).map((r) => `${r.name} ${r.oid}`).sort();
      assert.deepEqual(dbRefs, gitRefs, 'the index matches git');
      const head = await gitHead();
      for (let i = 0; i < 3; i++) assert.equal(await infoSha(i), head, `process ${i} after the restart`);
      // The restarted process takes the upload it lost, in full, and serves it.
      const again = await api(`${hubs[victim]!.url}/${REPO}.git/info/lfs/objects/batch`, tokens.alice, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.git-lfs+json', accept: 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ operation: 'upload', transfers: ['basic'], hash_algo: 'sha_256', objects: [{ oid: bigOid, size }] }),
      });
      const put = ((await again.json()) as { objects: { actions: { upload: { href: string } } }[] }).objects[0]!.actions.upload.href;
      assert.equal((await fetch(put, { method: 'PUT', body: new Uint8Array(big) })).status < 300, true);
      const stored = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: keyOf(bigOid) }));
      assert.equal(stored.ContentLength, size);
    });
  });
}
