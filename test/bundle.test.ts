/**
 * Air-gapped transfer (docs/replication.md): `orchard export` on hub A writes
 * one bundle, `orchard import` on hub B recreates the repos; a bundle that is
 * corrupt or changed in any way imports nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { downloadFile } from '@huggingface/hub';
import { api, commitVia, createRepoVia, fileOp, gitCommands, json, lfsOp, testDialects, uploadLfs } from './helpers/hub.js';
import { commitIds, type ReplHub, repoNames, sha256, startReplHub, storedBlobs } from './helpers/replication.js';
import { flipByte, readTar, writeTarEntries } from './helpers/tar-edit.js';

const exec = promisify(execFile);

async function bytesOf(blob: Blob | null): Promise<Buffer> {
  assert.ok(blob, 'a file');
  return Buffer.from(await blob.arrayBuffer());
}

/** Every file name under a folder, recursively. */
async function allNames(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) out.push(e.name);
  return out;
}

for (const dialect of testDialects()) {
  describe(`export and import bundles (${dialect})`, () => {
    let A: ReplHub;
    let B: ReplHub;
    let fresh: ReplHub;
    let work: string;
    let bundle: string;
    let manifestSha: string;
    let env: NodeJS.ProcessEnv;
    const { git } = gitCommands(() => env);
    const one = new Map<string, Buffer>();
    const two = new Map<string, Buffer>();

    async function commit(repo: string, type: 'models' | 'datasets', files: Map<string, Buffer>, lfs: Record<string, Buffer>, other: unknown[], summary: string): Promise<void> {
      const ops = [...other];
      for (const [p, bytes] of Object.entries(lfs)) {
        ops.push(lfsOp(p, await uploadLfs(A, A.tokens.alice, repo, bytes, type === 'datasets' ? 'datasets/' : '')));
        files.set(p, bytes);
      }
      const r = await commitVia(A, A.tokens.alice, repo, ops, { summary, type });
      assert.equal(r.status, 200, await r.text());
    }

    /** Imports a bundle into the clean hub and asserts it was refused with nothing left behind. */
    async function refusedOnFresh(file: string, why: RegExp, extra: string[] = []): Promise<void> {
      const repos = await repoNames(fresh);
      const blobs = await storedBlobs(fresh.dataDir);
      const r = await fresh.cli(['import', file, ...extra]);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, why);
      assert.deepEqual(await repoNames(fresh), repos, 'no new repo');
      assert.deepEqual(await storedBlobs(fresh.dataDir), blobs, 'no new LFS object');
      const tmp = await readdir(path.join(fresh.dataDir, 'tmp'));
      assert.deepEqual(tmp.filter((n) => n.startsWith('import')), [], 'no temp folder left');
    }

    before(async () => {
      [A, B, fresh] = await Promise.all([startReplHub(dialect), startReplHub(dialect), startReplHub(dialect)]);
      work = await mkdtemp(path.join(os.tmpdir(), 'orchard-bundle-work-'));
      env = {
        PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0',
        GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.org', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.org',
      };
      await exec('git', ['lfs', 'install'], { cwd: work, env });
      assert.equal((await createRepoVia(A, A.tokens.alice, 'one', { private: true })).status, 200);
      await commit('alice/one', 'models', one, { 'model.bin': randomBytes(300_000) }, [fileOp('README.md', '---\nlicense: apache-2.0\n---\n# One\n')], 'weights');
      await commit('alice/one', 'models', one, { 'extra/head.bin': randomBytes(77_777) }, [], 'head');
      assert.equal((await api(`${A.url}/api/models/alice/one/tag/main`, A.tokens.alice, { method: 'POST', body: JSON.stringify({ tag: 'v1.0', message: 'release' }) })).status, 200);
      assert.equal((await createRepoVia(A, A.tokens.alice, 'two', { type: 'dataset' })).status, 200);
      await commit('alice/two', 'datasets', two, { 'data/train.parquet': randomBytes(120_000) }, [fileOp('README.md', '# Two\n')], 'data');
      await commit('alice/two', 'datasets', two, {}, [fileOp('data/notes.txt', 'notes\n')], 'notes');

      bundle = path.join(work, 'transfer.tar');
      const r = await A.cli(['export', 'alice/one', 'datasets/alice/two', '--out', bundle]);
      assert.equal(r.code, 0, r.stderr);
      manifestSha = r.stdout.trim();
      assert.match(manifestSha, /^[0-9a-f]{64}$/);
    });

    after(async () => {
      await Promise.all([A?.close(), B?.close(), fresh?.close()]);
      if (work) await rm(work, { recursive: true, force: true });
    });

    test('the bundle holds the manifest, per-repo git bundle, repo.json and README, and each LFS object once', async () => {
      const entries = await readTar(bundle);
      assert.equal(entries[0]!.path, 'manifest.json');
      assert.equal(sha256(entries[0]!.data), manifestSha);
      const manifest = JSON.parse(entries[0]!.data.toString('utf8'));
      assert.deepEqual(manifest.repos, ['repos/0', 'repos/1']);
      const paths = entries.slice(1).map((e) => e.path).sort();
      assert.deepEqual(paths, manifest.files.map((f: { path: string }) => f.path).sort());
      for (const f of manifest.files) assert.equal(sha256(entries.find((e) => e.path === f.path)!.data), f.sha256, f.path);
      for (const bytes of [...one.values(), ...two.values()]) assert.ok(paths.includes(`lfs/${sha256(bytes)}`));
      const meta = JSON.parse(entries.find((e) => e.path === 'repos/0/repo.json')!.data.toString('utf8'));
      assert.equal(meta.private, true);
      assert.equal(meta.namespace, 'alice');
      assert.ok(meta.refs['refs/tags/v1.0']);
      assert.match(entries.find((e) => e.path === 'repos/0/README.md')!.data.toString('utf8'), /# One/);
    });

    test('import recreates both repos on B: same history, refs, bytes and visibility', async () => {
      const r = await B.cli(['import', bundle, '--expect-sha256', manifestSha]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).repos, [{ type: 'model', id: 'alice/one', private: true }, { type: 'dataset', id: 'alice/two', private: false }]);
      assert.ok([401, 404].includes((await api(`${B.url}/api/models/alice/one`)).status), 'private stays private');
      assert.deepEqual(await commitIds(B, B.tokens.alice, 'alice/one'), await commitIds(A, A.tokens.alice, 'alice/one'));
      assert.deepEqual(await commitIds(B, B.tokens.alice, 'alice/two', 'main', 'datasets'), await commitIds(A, A.tokens.alice, 'alice/two', 'main', 'datasets'));
      for (const [p, bytes] of one) assert.ok((await bytesOf(await downloadFile({ hubUrl: B.url, accessToken: B.tokens.alice, repo: 'alice/one', path: p }))).equals(bytes), p);
      for (const [p, bytes] of two) assert.ok((await bytesOf(await downloadFile({ hubUrl: B.url, repo: { type: 'dataset', name: 'alice/two' }, path: p }))).equals(bytes), p);
      const lsA = (await git(work, ['ls-remote', `${A.url}/alice/one.git`], A.tokens.alice)).stdout;
      const lsB = (await git(work, ['ls-remote', `${B.url}/alice/one.git`], B.tokens.alice)).stdout;
      assert.equal(lsB, lsA);
      const clone = path.join(work, 'clone-one');
      await git(work, ['clone', `${B.url}/alice/one.git`, clone], B.tokens.alice);
      for (const [p, bytes] of one) assert.ok((await readFile(path.join(clone, p))).equals(bytes), `git-lfs ${p}`);
      const info = await json(await api(`${B.url}/api/models/alice/one`, B.tokens.alice));
      assert.equal(info.mirror.kind, 'import');
      assert.equal(info.mirror.readOnly, false);
      assert.equal(info.cardData.license, 'apache-2.0');
      // An imported repo is an ordinary repo: it takes commits.
      assert.equal((await commitVia(B, B.tokens.alice, 'alice/one', [fileOp('local.txt', 'mine')])).status, 200);
    });

    test('a name that exists is refused with nothing imported; --namespace imports elsewhere', async () => {
      const before = await repoNames(B);
      let r = await B.cli(['import', bundle]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /These repos already exist here: model alice\/one, dataset alice\/two\. Nothing was imported/);
      assert.deepEqual(await repoNames(B), before);
      assert.equal((await B.cli(['org', 'create', 'lab', '--owner', 'alice'])).code, 0);
      r = await B.cli(['import', bundle, '--namespace', 'lab']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await commitIds(B, B.tokens.alice, 'lab/one'), await commitIds(A, A.tokens.alice, 'alice/one'));
    });

    test('a flipped byte in an LFS object, the git bundle or the manifest is refused, importing nothing', async () => {
      const entries = await readTar(bundle);
      const lfsEntry = entries.find((e) => e.path.startsWith('lfs/'))!;
      const bad = path.join(work, 'bad.tar');
      await flipByte(bundle, bad, lfsEntry.path, 1000);
      await refusedOnFresh(bad, new RegExp(`${lfsEntry.path} does not match its sha256 in the manifest`));
      await rm(bad);
      const gitEntry = entries.find((e) => e.path === 'repos/1/repo.bundle')!;
      await flipByte(bundle, bad, gitEntry.path, Math.floor(gitEntry.data.length / 2));
      await refusedOnFresh(bad, /repos\/1\/repo\.bundle does not match its sha256/);
      await rm(bad);
      // In the manifest: one hex digit of the first listed sha256 (the JSON stays valid).
      const manifest = entries[0]!.data.toString('latin1');
      const at = entries[0]!.offset + manifest.indexOf('"sha256": "') + '"sha256": "'.length;
      const edited = await readFile(bundle);
      edited[at] = edited[at] === 0x30 ? 0x31 : 0x30;
      await writeFile(bad, edited);
      await refusedOnFresh(bad, /repos\/0\/repo\.bundle does not match its sha256 in the manifest/);
      await refusedOnFresh(bad, /its manifest's sha256 is [0-9a-f]{64}, not the [0-9a-f]{64} expected/, ['--expect-sha256', manifestSha]);
      await rm(bad);
      await flipByte(bundle, bad, 'manifest.json', 5);
      await refusedOnFresh(bad, /manifest\.json is not valid JSON|not an Orchard bundle manifest/);
      await rm(bad);
    });

    test('an extra file, a missing file and a ../ path are refused, importing nothing', async () => {
      const entries = (await readTar(bundle)).map((e) => ({ path: e.path, data: Buffer.from(e.data) }));
      const bad = path.join(work, 'edited.tar');
      await writeTarEntries(bad, [...entries, { path: 'repos/0/notes.txt', data: Buffer.from('smuggled') }]);
      await refusedOnFresh(bad, /files its manifest does not list: repos\/0\/notes\.txt/);
      await writeTarEntries(bad, entries.filter((e) => e.path !== 'repos/1/README.md'));
      await refusedOnFresh(bad, /files listed in its manifest are missing: repos\/1\/README\.md/);
      await writeTarEntries(bad, [...entries.slice(0, 2), { path: '../../evil.txt', data: Buffer.from('escaped') }, ...entries.slice(2)]);
      await refusedOnFresh(bad, /unsafe path "\.\.\/\.\.\/evil\.txt"/);
      await writeTarEntries(bad, [{ path: '/tmp/abs.txt', data: Buffer.from('absolute') }, ...entries]);
      await refusedOnFresh(bad, /unsafe path "\/tmp\/abs\.txt"/);
      assert.ok(!(await allNames(fresh.dataDir)).includes('evil.txt'));
    });

    test('a consistently rewritten manifest over a corrupt git bundle: the 2nd repo fails, the 1st is rolled back', async () => {
      // An attacker who rewrites the manifest passes the hash check (without --expect-sha256);
      // the git bundle of the second repo then fails after the first repo's LFS objects were stored.
      const entries = (await readTar(bundle)).map((e) => ({ path: e.path, data: Buffer.from(e.data) }));
      const git1 = entries.find((e) => e.path === 'repos/1/repo.bundle')!;
      git1.data[Math.floor(git1.data.length * 0.75)]! ^= 0xff;
      const manifest = JSON.parse(entries[0]!.data.toString('utf8'));
      for (const f of manifest.files) if (f.path === git1.path) f.sha256 = sha256(git1.data);
      entries[0]!.data = Buffer.from(JSON.stringify(manifest));
      const bad = path.join(work, 'rewritten.tar');
      await writeTarEntries(bad, entries);
      await refusedOnFresh(bad, /the git bundle of alice\/two is not intact/);
      await refusedOnFresh(bad, /its manifest's sha256 is/, ['--expect-sha256', manifestSha]);
      // The untouched bundle still imports on the same hub afterwards.
      const r = await fresh.cli(['import', bundle]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await repoNames(fresh), ['model:alice/one', 'dataset:alice/two']);
    });
  });
}
