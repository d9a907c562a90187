import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { openDatabase } from '../src/db/database.js';
import { api, commitVia, createRepoVia, fileOp, headOf, lfsOp, createTestStorage, seedUsers, sha256, spawnHub, uploadLfs, type SpawnedHub, type TestStorage, type Tokens } from './helpers/hub.js';

const exec = promisify(execFile);

/** The test's storage: this pass's database and blob store, set in `before`. */
let storage: TestStorage;

async function repoGitDir(dataDir: string, repo: string): Promise<string> {
  const opened = await openDatabase({ dataDir, url: storage.databaseUrl });
  try {
    const [ns, name] = repo.split('/');
    const row = await opened.db.selectFrom('repos').select('id').where('namespace', '=', ns!).where('name', '=', name!).executeTakeFirstOrThrow();
    return path.join(dataDir, 'git', `${row.id}.git`);
  } finally {
    await opened.close();
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) out.push(...(await filesUnder(path.join(dir, e.name))));
    else out.push(e.name);
  }
  return out;
}

/**
 * The repository as git has it and as the API shows it must agree, git must
 * find the object store sound, and every commit must be readable.
 */
async function assertConsistent(url: string, token: string, dataDir: string, repo: string): Promise<void> {
  const gitDir = await repoGitDir(dataDir, repo);
  await exec('git', ['--git-dir', gitDir, 'fsck', '--strict', '--no-dangling']);
  const gitHead = (await exec('git', ['--git-dir', gitDir, 'rev-parse', 'refs/heads/main'])).stdout.trim();
  assert.equal(await headOf({ url }, token, repo), gitHead, 'API head equals the git ref');
  const gitFiles = (await exec('git', ['--git-dir', gitDir, 'ls-tree', '-r', '--name-only', 'main'])).stdout.trim().split('\n').sort();
  const apiFiles = ((await (await api(`${url}/api/models/${repo}/tree/main?recursive=true`, token)).json()) as any[])
    .filter((e) => e.type === 'file').map((e) => e.path).sort();
  assert.deepEqual(apiFiles, gitFiles);
  const commits = (await exec('git', ['--git-dir', gitDir, 'rev-list', 'main'])).stdout.trim().split('\n');
  const listed = ((await (await api(`${url}/api/models/${repo}/commits/main?limit=1000`, token)).json()) as any[]).map((c) => c.id);
  assert.deepEqual(listed, commits);
  for (const c of commits) {
    const r = await api(`${url}/${repo}/resolve/${c}/.gitattributes`, token, { method: 'HEAD' });
    assert.equal(r.status, 200, `commit ${c} readable`);
  }
}

describe('crash safety: SIGKILL mid-upload and mid-commit', () => {
  let dataDir: string;
  let tokens: Tokens;
  let hub: SpawnedHub;
  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-crash-'));
    storage = await createTestStorage();
    tokens = await seedUsers(dataDir, storage.databaseUrl);
    hub = await spawnHub(dataDir, 0, storage.env);
    await createRepoVia(hub, tokens.alice, 'crashy');
    await commitVia(hub, tokens.alice, 'alice/crashy', [fileOp('before.txt', 'committed before the crash')]);
  });
  after(async () => {
    await hub.stop('SIGKILL');
    await storage.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('killed during an LFS upload: no partial object, earlier commits readable, the upload can be redone', async () => {
    const content = randomBytes(8 * 1024 * 1024);
    const oid = sha256(content);
    const batch = (await (await api(`${hub.url}/alice/crashy.git/info/lfs/objects/batch`, tokens.alice, {
      method: 'POST', body: JSON.stringify({ operation: 'upload', objects: [{ oid, size: content.length }] }),
    })).json()) as any;
    const href = new URL(batch.objects[0].actions.upload.href);
    // Send half of the bytes, then kill the hub while it waits for the rest.
    await new Promise<void>((resolve) => {
      const req = http.request({ host: href.hostname, port: href.port, path: href.pathname + href.search, method: 'PUT', headers: { 'content-length': String(content.length) } });
      req.on('error', () => resolve());
      req.write(content.subarray(0, content.length / 2), async () => {
        await new Promise((r) => setTimeout(r, 300));
        await hub.stop('SIGKILL');
        req.destroy();
        resolve();
      });
    });
    hub = await spawnHub(dataDir, 0, storage.env);
    assert.deepEqual(await filesUnder(path.join(dataDir, 'lfs', 'tmp')), [], 'temp files removed at start');
    assert.ok(!(await filesUnder(path.join(dataDir, 'lfs', 'objects'))).includes(oid), 'no object under its final name');
    // In an S3 pass the killed upload's parts may stay pending (a bucket lifecycle rule removes them, docs/storage.md), but no object is visible.
    if (storage.s3) assert.ok(!(await storage.s3.objectKeys()).some((k) => k.endsWith(oid)), 'no object in the bucket');
    assert.equal(await (await api(`${hub.url}/alice/crashy/resolve/main/before.txt`)).text(), 'committed before the crash');
    const again = (await (await api(`${hub.url}/alice/crashy.git/info/lfs/objects/batch`, tokens.alice, {
      method: 'POST', body: JSON.stringify({ operation: 'upload', objects: [{ oid, size: content.length }] }),
    })).json()) as any;
    assert.ok(again.objects[0].actions.upload, 'the object must be uploaded again');
    await uploadLfs(hub, tokens.alice, 'alice/crashy', content);
    assert.equal((await commitVia(hub, tokens.alice, 'alice/crashy', [lfsOp('w.bin', { oid, size: content.length })])).status, 200);
    const back = Buffer.from(await (await api(`${hub.url}/alice/crashy/resolve/main/w.bin`)).arrayBuffer());
    assert.ok(back.equals(content));
    await assertConsistent(hub.url, tokens.alice, dataDir, 'alice/crashy');
  });

  test('killed while a commit payload is arriving: nothing is written', async () => {
    const before = await headOf(hub, tokens.alice, 'alice/crashy');
    const header = JSON.stringify({ key: 'header', value: { summary: 'never lands' } });
    const line = JSON.stringify(fileOp('half.txt', randomBytes(1024 * 1024).toString('hex'))) ;
    const u = new URL(`${hub.url}/api/models/alice/crashy/commit/main`);
    await new Promise<void>((resolve) => {
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' } });
      req.on('error', () => resolve());
      req.write(`${header}\n${line.slice(0, line.length / 2)}`, async () => {
        await new Promise((r) => setTimeout(r, 300));
        await hub.stop('SIGKILL');
        resolve();
      });
    });
    hub = await spawnHub(dataDir, 0, storage.env);
    assert.equal(await headOf(hub, tokens.alice, 'alice/crashy'), before);
    assert.deepEqual(await filesUnder(path.join(dataDir, 'tmp')), []);
    await assertConsistent(hub.url, tokens.alice, dataDir, 'alice/crashy');
  });

  test('killed at random moments during a stream of commits: consistent after restart, acknowledged commits kept', async () => {
    for (const delay of [40, 120, 250, 400]) {
      const acknowledged: string[] = [];
      let stop = false;
      const writers = Array.from({ length: 3 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          try {
            const r = await commitVia(hub, tokens.alice, 'alice/crashy', [fileOp(`w${w}/f${i % 5}.txt`, `${delay}-${w}-${i}`), fileOp(`big${w}.bin`, randomBytes(200_000))]);
            if (r.status === 200) acknowledged.push(((await r.json()) as any).commitOid);
          } catch {
            return;
          }
        }
      });
      await new Promise((r) => setTimeout(r, delay));
      stop = true;
      await hub.stop('SIGKILL');
      await Promise.all(writers);
      hub = await spawnHub(dataDir, 0, storage.env);
      await assertConsistent(hub.url, tokens.alice, dataDir, 'alice/crashy');
      const history = new Set(((await (await api(`${hub.url}/api/models/alice/crashy/commits/main?limit=1000`, tokens.alice)).json()) as any[]).map((c) => c.id));
      for (const c of acknowledged) assert.ok(history.has(c), `acknowledged commit ${c} survived (kill after ${delay} ms)`);
    }
  });

  test('a ref moved in git but not yet indexed (crash between the two) is indexed at start', async () => {
    const gitDir = await repoGitDir(dataDir, 'alice/crashy');
    await hub.stop('SIGKILL');
    // Do by hand what a commit does up to its crash point: write the commit, mark the repo pending, move the ref.
    const blob = (await exec('sh', ['-c', `printf 'recovered' | git --git-dir '${gitDir}' hash-object -w --stdin`])).stdout.trim();
    const idx = path.join(dataDir, 'tmp-index');
    const envIdx = { ...process.env, GIT_INDEX_FILE: idx };
    await exec('git', ['--git-dir', gitDir, 'read-tree', 'main'], { env: envIdx });
    await exec('git', ['--git-dir', gitDir, 'update-index', '--add', '--cacheinfo', `100644,${blob},recovered.txt`], { env: envIdx });
    const tree = (await exec('git', ['--git-dir', gitDir, 'write-tree'], { env: envIdx })).stdout.trim();
    await rm(idx, { force: true });
    const commit = (await exec('git', ['--git-dir', gitDir, 'commit-tree', tree, '-p', 'main', '-m', 'interrupted'], { env: { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' } })).stdout.trim();
    const opened = await openDatabase({ dataDir, url: storage.databaseUrl });
    const repoId = path.basename(gitDir, '.git');
    await opened.db.insertInto('pending_syncs').values({ repo_id: repoId, since: new Date().toISOString() }).onConflict((oc) => oc.column('repo_id').doNothing()).execute();
    await opened.close();
    await exec('git', ['--git-dir', gitDir, 'update-ref', 'refs/heads/main', commit]);
    hub = await spawnHub(dataDir, 0, storage.env);
    assert.equal(await headOf(hub, tokens.alice, 'alice/crashy'), commit);
    assert.equal(await (await api(`${hub.url}/alice/crashy/resolve/main/recovered.txt`)).text(), 'recovered');
    await assertConsistent(hub.url, tokens.alice, dataDir, 'alice/crashy');
    const check = await openDatabase({ dataDir, url: storage.databaseUrl });
    assert.deepEqual(await check.db.selectFrom('pending_syncs').selectAll().execute(), []);
    await check.close();
  });
});
