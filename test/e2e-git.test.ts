import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { api, commitVia, createRepoVia, fileOp, gitCommands, headOf, sha256, startSpawnedTestHub, type SpawnedTestHub, type Tokens } from './helpers/hub.js';

const exec = promisify(execFile);

/** The real git + git-lfs, with a throw-away HOME so that nothing of the machine's config leaks in. */
describe('git and git-lfs over smart HTTP', () => {
  let work: string;
  let hub: SpawnedTestHub;
  let tokens: Tokens;
  let env: NodeJS.ProcessEnv;

  const { git, gitFails } = gitCommands(() => env);

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'orchard-git-work-'));
    hub = await startSpawnedTestHub('orchard-git-data-');
    tokens = hub.tokens;
    env = {
      PATH: process.env.PATH,
      HOME: work,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.org', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.org',
    };
    await exec('git', ['lfs', 'install'], { cwd: work, env });
    await createRepoVia(hub, tokens.alice, 'gitrepo');
  });
  after(async () => {
    await hub.close();
    await rm(work, { recursive: true, force: true });
  });

  test('clone, commit an LFS file and a small file, push, fresh clone, same bytes; resolve serves the pushed file', async () => {
    const a = path.join(work, 'a');
    await git(work, ['clone', `${hub.url}/alice/gitrepo`, a]);
    const big = randomBytes(3 * 1024 * 1024 + 123);
    await writeFile(path.join(a, 'model.bin'), big);
    await writeFile(path.join(a, 'config.json'), '{"hidden_size": 8}\n');
    await git(a, ['add', '.']);
    await git(a, ['commit', '-m', 'add weights']);
    const { stderr } = await git(a, ['push', 'origin', 'main'], tokens.alice);
    assert.match(stderr, /main -> main/);
    const localHead = (await git(a, ['rev-parse', 'HEAD'])).stdout.trim();

    // The API sees the push at once.
    assert.equal(await headOf(hub, undefined, 'alice/gitrepo'), localHead);
    const tree = (await (await api(`${hub.url}/api/models/alice/gitrepo/tree/main`)).json()) as any[];
    const entry = tree.find((e) => e.path === 'model.bin');
    assert.deepEqual(entry.lfs.oid, sha256(big));
    assert.equal(entry.size, big.length);
    // On S3 the hub redirects to the bucket: its own headers are on the 302 (the bucket sends its own ETag).
    const hubAnswer = await api(`${hub.url}/alice/gitrepo/resolve/main/model.bin`, undefined, { redirect: 'manual' });
    assert.equal(hubAnswer.headers.get(hub.storage.s3 ? 'x-linked-etag' : 'etag'), `"${sha256(big)}"`);
    assert.equal(hubAnswer.headers.get('x-repo-commit'), localHead);
    await hubAnswer.arrayBuffer();
    const resolved = await api(`${hub.url}/alice/gitrepo/resolve/main/model.bin`);
    assert.ok(Buffer.from(await resolved.arrayBuffer()).equals(big));
    assert.equal(await (await api(`${hub.url}/alice/gitrepo/resolve/main/config.json`)).text(), '{"hidden_size": 8}\n');

    // A fresh clone (anonymous: the repo is public) gets the same bytes, LFS included.
    const b = path.join(work, 'b');
    await git(work, ['clone', `${hub.url}/alice/gitrepo.git`, b]);
    assert.ok((await readFile(path.join(b, 'model.bin'))).equals(big));
    assert.equal(await readFile(path.join(b, 'config.json'), 'utf8'), '{"hidden_size": 8}\n');
    const lfsFiles = (await git(b, ['lfs', 'ls-files', '--long'])).stdout;
    assert.match(lfsFiles, new RegExp(sha256(big)));
    // The batch API sent git-lfs for the bytes: the hub's signed object URL, or on S3 a presigned URL of the bucket.
    const batch = await api(`${hub.url}/alice/gitrepo.git/info/lfs/objects/batch`, undefined, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.git-lfs+json', accept: 'application/vnd.git-lfs+json' },
      body: JSON.stringify({ operation: 'download', objects: [{ oid: sha256(big), size: big.length }] }),
    });
    const href = new URL(((await batch.json()) as any).objects[0].actions.download.href);
    if (hub.storage.s3) {
      assert.equal(href.origin, hub.storage.s3.endpoint);
      assert.ok(href.searchParams.get('X-Amz-Signature'));
      assert.ok(hub.storage.s3.requests.some((r) => r.method === 'GET' && r.path.endsWith(sha256(big)) && r.query.includes('X-Amz-Signature')), 'git-lfs fetched from the bucket');
    } else {
      assert.equal(href.origin, new URL(hub.url).origin);
    }
  });

  test('an API commit is visible to git, and a push after it is visible to the API', async () => {
    const r = await commitVia(hub, tokens.alice, 'alice/gitrepo', [fileOp('from-api.txt', 'written by the API\n')]);
    const apiCommit = ((await r.json()) as any).commitOid;
    const a = path.join(work, 'a');
    await git(a, ['pull', '--ff-only', 'origin', 'main']);
    assert.equal((await git(a, ['rev-parse', 'HEAD'])).stdout.trim(), apiCommit);
    assert.equal(await readFile(path.join(a, 'from-api.txt'), 'utf8'), 'written by the API\n');
    await writeFile(path.join(a, 'from-git.txt'), 'pushed\n');
    await git(a, ['add', '.']);
    await git(a, ['commit', '-m', 'from git']);
    await git(a, ['push', 'origin', 'main'], tokens.alice);
    assert.equal(await (await api(`${hub.url}/alice/gitrepo/resolve/main/from-git.txt`)).text(), 'pushed\n');
    const commits = (await (await api(`${hub.url}/api/models/alice/gitrepo/commits/main`)).json()) as any[];
    assert.deepEqual(commits.slice(0, 3).map((c) => c.title), ['from git', 'test commit', 'add weights']);
  });

  test('branches and tags pushed with git appear in refs; deleting them works', async () => {
    const a = path.join(work, 'a');
    await git(a, ['checkout', '-q', '-b', 'feature']);
    await writeFile(path.join(a, 'feature.txt'), 'f\n');
    await git(a, ['add', '.']);
    await git(a, ['commit', '-m', 'feature']);
    await git(a, ['tag', 'v1.0']);
    await git(a, ['push', 'origin', 'feature', 'v1.0'], tokens.alice);
    const refs = (await (await api(`${hub.url}/api/models/alice/gitrepo/refs`)).json()) as any;
    assert.deepEqual(refs.branches.map((b: any) => b.name).sort(), ['feature', 'main']);
    assert.deepEqual(refs.tags.map((b: any) => b.name), ['v1.0']);
    assert.equal(await (await api(`${hub.url}/alice/gitrepo/resolve/v1.0/feature.txt`)).text(), 'f\n');
    await git(a, ['push', 'origin', '--delete', 'feature'], tokens.alice);
    const refs2 = (await (await api(`${hub.url}/api/models/alice/gitrepo/refs`)).json()) as any;
    assert.deepEqual(refs2.branches.map((b: any) => b.name), ['main']);
    await git(a, ['checkout', '-q', 'main']);
  });

  test('pushes are refused without credentials, with a read token, and by a non-owner', async () => {
    const a = path.join(work, 'a');
    await writeFile(path.join(a, 'denied.txt'), 'no\n');
    await git(a, ['add', '.']);
    await git(a, ['commit', '-m', 'denied']);
    const before = await headOf(hub, undefined, 'alice/gitrepo');
    assert.match(await gitFails(a, ['push', 'origin', 'main']), /Authentication failed|could not read Username|terminal prompts disabled/);
    assert.match(await gitFails(a, ['push', 'origin', 'main'], tokens.aliceRead), /403|denied|not allowed|cannot write/i);
    assert.match(await gitFails(a, ['push', 'origin', 'main'], tokens.bob), /403|denied|cannot write/i);
    assert.match(await gitFails(a, ['push', 'origin', 'main'], 'hf_forgedtoken'), /Authentication failed|401/);
    assert.equal(await headOf(hub, undefined, 'alice/gitrepo'), before);
    await git(a, ['reset', '-q', '--hard', 'HEAD~1']);
  });

  test('the pre-receive hook refuses refs outside heads/tags, deleting main, and LFS pointers without objects', async () => {
    const a = path.join(work, 'a');
    const before = await headOf(hub, undefined, 'alice/gitrepo');
    assert.match(await gitFails(a, ['push', 'origin', 'HEAD:refs/pr/1'], tokens.alice), /only branches and tags can be pushed/);
    assert.match(await gitFails(a, ['push', 'origin', '--delete', 'main'], tokens.alice), /default branch main cannot be deleted/);
    // --no-verify skips git-lfs's pre-push upload: the pointer arrives without its object.
    await writeFile(path.join(a, 'orphan.bin'), randomBytes(5000));
    await git(a, ['add', '.']);
    await git(a, ['commit', '-m', 'orphan pointer']);
    const msg = await gitFails(a, ['push', '--no-verify', 'origin', 'main'], tokens.alice);
    assert.match(msg, /references LFS objects that were not uploaded/);
    assert.equal(await headOf(hub, undefined, 'alice/gitrepo'), before);
    // With the object uploaded, the same push goes through.
    await git(a, ['push', 'origin', 'main'], tokens.alice);
    assert.notEqual(await headOf(hub, undefined, 'alice/gitrepo'), before);
  });

  test('a private repo cannot be cloned by anyone without access', async () => {
    await createRepoVia(hub, tokens.alice, 'private-git', { private: true });
    assert.match(await gitFails(work, ['clone', `${hub.url}/alice/private-git`, path.join(work, 'p1')]), /Authentication failed|could not read Username|terminal prompts disabled/);
    assert.match(await gitFails(work, ['clone', `${hub.url}/alice/private-git`, path.join(work, 'p2')], tokens.bob), /not found|404/i);
    await git(work, ['clone', `${hub.url}/alice/private-git`, path.join(work, 'p3')], tokens.alice);
    assert.equal(await readFile(path.join(work, 'p3', '.gitattributes'), 'utf8').then((s) => s.includes('filter=lfs')), true);
    assert.match(await gitFails(work, ['clone', `${hub.url}/alice/nonexistent`, path.join(work, 'p4')], tokens.bob), /not found|404/i);
  });
});
