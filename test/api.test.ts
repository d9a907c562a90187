import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, commitVia, createRepoVia, fileOp, gitBlobOid, headOf, lfsOp, sha256, startTestHub, testDialects, uploadLfs, type TestHub, expectError, json } from './helpers/hub.js';



for (const dialect of testDialects()) {
  describe(`HTTP API (${dialect})`, () => {
    let hub: TestHub;
    let t: TestHub['tokens'];
    before(async () => {
      hub = await startTestHub({ dialect });
      t = hub.tokens;
    });
    after(() => hub.close());

    test('whoami-v2: the shape the clients read, and bad or missing tokens', async () => {
      const me = await json(await api(`${hub.url}/api/whoami-v2`, t.alice));
      assert.equal(me.type, 'user');
      assert.equal(me.name, 'alice');
      assert.deepEqual(me.orgs, []);
      assert.equal(me.auth.type, 'access_token');
      assert.equal(me.auth.accessToken.role, 'write');
      assert.equal(me.auth.accessToken.displayName, 'alice-write');
      assert.match(me.auth.accessToken.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const bad = await api(`${hub.url}/api/whoami-v2`, 'hf_notarealtoken');
      await expectError(bad, 401);
      assert.equal(bad.headers.get('x-error-message'), 'Invalid credentials in Authorization header');
      await expectError(await api(`${hub.url}/api/whoami-v2`), 401);
      assert.equal((await json(await api(`${hub.url}/api/whoami-v2`, t.aliceRead))).auth.accessToken.role, 'read');
    });

    test('create: url on 200 and on 409, types, visibility, permissions', async () => {
      const r = await createRepoVia(hub, t.alice, 'created');
      assert.equal(r.status, 200);
      const body = await json(r);
      assert.equal(body.url, `${hub.url}/alice/created`);
      const again = await createRepoVia(hub, t.alice, 'created');
      const conflict = await expectError(again, 409);
      assert.equal(conflict.url, `${hub.url}/alice/created`);
      const ds = await json(await createRepoVia(hub, t.alice, 'created', { type: 'dataset' }));
      assert.equal(ds.url, `${hub.url}/datasets/alice/created`);
      // PY >= 1.8 and JS send visibility.
      const vis = await api(`${hub.url}/api/repos/create`, t.alice, { method: 'POST', body: JSON.stringify({ name: 'vis', organization: 'alice', type: 'model', visibility: 'private' }) });
      assert.equal(vis.status, 200);
      assert.equal((await json(await api(`${hub.url}/api/models/alice/vis`, t.alice))).private, true);
      // PY without organization: the caller's namespace.
      const noOrg = await api(`${hub.url}/api/repos/create`, t.bob, { method: 'POST', body: JSON.stringify({ name: 'mine', organization: null }) });
      assert.equal((await json(noOrg)).url, `${hub.url}/bob/mine`);
      await expectError(await createRepoVia(hub, t.bob, 'intrude'), 403);
      await expectError(await createRepoVia(hub, t.aliceRead, 'readonly'), 403);
      await expectError(await api(`${hub.url}/api/repos/create`, undefined, { method: 'POST', body: JSON.stringify({ name: 'x', organization: 'alice' }) }), 401);
      await expectError(await createRepoVia(hub, t.alice, 'bad--name'), 400);
      await expectError(await createRepoVia(hub, t.alice, 'x', { type: 'kernel' }), 400);
    });

    test('a new repo has main, a sha and the default .gitattributes', async () => {
      await createRepoVia(hub, t.alice, 'fresh');
      const info = await json(await api(`${hub.url}/api/models/alice/fresh`));
      assert.equal(info.id, 'alice/fresh');
      assert.match(info.sha, /^[0-9a-f]{40}$/);
      assert.deepEqual(info.siblings, [{ rfilename: '.gitattributes' }]);
      assert.match(info.lastModified, /Z$/);
      assert.match(info.createdAt, /Z$/);
      const head = await json(await api(`${hub.url}/api/models/alice/fresh/revision/HEAD`));
      assert.equal(head.sha, info.sha);
      const r = await api(`${hub.url}/alice/fresh/resolve/main/.gitattributes`);
      assert.match(await r.text(), /\*\.safetensors filter=lfs diff=lfs merge=lfs -text/);
    });

    test('commit regular files; info, card data, siblings, tree and paths-info agree', async () => {
      await createRepoVia(hub, t.alice, 'cards');
      const readme = '---\nlicense: apache-2.0\nlibrary_name: transformers\npipeline_tag: text-generation\ntags: [demo]\n---\n# Cards\n';
      const cfg = JSON.stringify({ model_type: 'llama' });
      const r = await commitVia(hub, t.alice, 'alice/cards', [fileOp('README.md', readme), fileOp('config.json', cfg), fileOp('sub/dir/notes.txt', 'n'), fileOp('a b/ü.txt', 'unicode')]);
      assert.equal(r.status, 200, await r.clone().text());
      const c = await json(r);
      assert.equal(c.success, true);
      assert.match(c.commitOid, /^[0-9a-f]{40}$/);
      assert.equal(c.commitUrl, `${hub.url}/alice/cards/commit/${c.commitOid}`);

      const info = await json(await api(`${hub.url}/api/models/alice/cards?blobs=true`));
      assert.equal(info.sha, c.commitOid);
      assert.equal(info.cardData.license, 'apache-2.0');
      assert.equal(info.pipeline_tag, 'text-generation');
      assert.equal(info.library_name, 'transformers');
      for (const tag of ['demo', 'transformers', 'text-generation', 'license:apache-2.0']) assert.ok(info.tags.includes(tag), tag);
      const cfgSibling = info.siblings.find((s: any) => s.rfilename === 'config.json');
      assert.deepEqual(cfgSibling, { rfilename: 'config.json', size: cfg.length, blobId: gitBlobOid(cfg) });
      assert.deepEqual(info.siblings.map((s: any) => s.rfilename).sort(), ['.gitattributes', 'README.md', 'a b/ü.txt', 'config.json', 'sub/dir/notes.txt']);

      const expanded = await json(await api(`${hub.url}/api/models/alice/cards?expand=sha&expand[]=private`));
      assert.deepEqual(Object.keys(expanded).sort(), ['_id', 'id', 'private', 'sha']);

      const top = await json(await api(`${hub.url}/api/models/alice/cards/tree/main`));
      assert.deepEqual(top.map((e: any) => [e.type, e.path]), [
        ['file', '.gitattributes'], ['file', 'README.md'], ['directory', 'a b'], ['file', 'config.json'], ['directory', 'sub'],
      ]);
      const cfgEntry = top.find((e: any) => e.path === 'config.json');
      assert.deepEqual(cfgEntry, { type: 'file', oid: gitBlobOid(cfg), size: cfg.length, path: 'config.json' });
      const rec = await json(await api(`${hub.url}/api/models/alice/cards/tree/main?recursive=True&expand=False`));
      assert.deepEqual(rec.filter((e: any) => e.type === 'directory').map((e: any) => e.path), ['a b', 'sub', 'sub/dir']);
      // PY encodes the path with %2F; JS sends it raw.
      const sub1 = await json(await api(`${hub.url}/api/models/alice/cards/tree/main/sub%2Fdir`));
      const sub2 = await json(await api(`${hub.url}/api/models/alice/cards/tree/main/sub/dir`));
      assert.deepEqual(sub1, sub2);
      assert.deepEqual(sub1.map((e: any) => e.path), ['sub/dir/notes.txt']);
      const withCommit = await json(await api(`${hub.url}/api/models/alice/cards/tree/main/sub?expand=true`));
      assert.equal(withCommit[0].lastCommit.id, c.commitOid);
      assert.equal(withCommit[0].lastCommit.title, 'test commit');
      const missing = await api(`${hub.url}/api/models/alice/cards/tree/main/nope`);
      await expectError(missing, 404, 'EntryNotFound');
      await expectError(await api(`${hub.url}/api/models/alice/cards/tree/nobranch`), 404, 'RevisionNotFound');

      // paths-info: JSON from JS, form-encoded from PY; missing paths skipped.
      const pj = await json(await api(`${hub.url}/api/models/alice/cards/paths-info/main`, undefined, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paths: ['config.json', 'nope', 'sub'], expand: true }) }));
      assert.deepEqual(pj.map((e: any) => e.path), ['config.json', 'sub']);
      assert.equal(pj[0].lastCommit.id, c.commitOid);
      const pf = await json(await api(`${hub.url}/api/models/alice/cards/paths-info/main`, undefined, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'paths=config.json&paths=a+b%2F%C3%BC.txt&expand=false' }));
      assert.deepEqual(pf.map((e: any) => e.path), ['config.json', 'a b/ü.txt']);
      assert.equal(pf[0].lastCommit, undefined);
    });

    test('resolve and raw: headers, ETag, Range, revisions, errors', async () => {
      await createRepoVia(hub, t.alice, 'files');
      const content = 'hello, resolve\n'.repeat(10);
      const c = await json(await commitVia(hub, t.alice, 'alice/files', [fileOp('dir/hello.txt', content), fileOp('empty.txt', '')]));
      const head = await api(`${hub.url}/alice/files/resolve/main/dir/hello.txt`, undefined, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('x-repo-commit'), c.commitOid);
      assert.equal(head.headers.get('etag'), `"${gitBlobOid(content)}"`);
      assert.equal(head.headers.get('content-length'), String(content.length));
      assert.equal(head.headers.get('accept-ranges'), 'bytes');
      const get = await api(`${hub.url}/alice/files/resolve/main/dir/hello.txt`);
      assert.equal(await get.text(), content);
      const ranged = await api(`${hub.url}/alice/files/resolve/main/dir/hello.txt`, undefined, { headers: { range: 'bytes=0-0' } });
      assert.equal(ranged.status, 206);
      assert.equal(ranged.headers.get('content-range'), `bytes 0-0/${content.length}`);
      assert.equal(await ranged.text(), 'h');
      const tail = await api(`${hub.url}/alice/files/resolve/main/dir/hello.txt`, undefined, { headers: { range: 'bytes=-6' } });
      assert.equal(await tail.text(), content.slice(-6));
      const mid = await api(`${hub.url}/alice/files/resolve/main/dir/hello.txt`, undefined, { headers: { range: 'bytes=7-20' } });
      assert.equal(await mid.text(), content.slice(7, 21));
      const past = await api(`${hub.url}/alice/files/resolve/main/dir/hello.txt`, undefined, { headers: { range: `bytes=${content.length}-` } });
      assert.equal(past.status, 416);
      assert.equal(past.headers.get('content-range'), `bytes */${content.length}`);
      await past.text();
      const empty = await api(`${hub.url}/alice/files/resolve/main/empty.txt`, undefined, { headers: { range: 'bytes=0-0' } });
      assert.equal(empty.status, 200);
      assert.equal(empty.headers.get('content-range'), 'bytes */0');
      await empty.text();
      // Revision forms: commit id, short id, encoded ref, HEAD.
      for (const rev of [c.commitOid, c.commitOid.slice(0, 7), 'refs%2Fheads%2Fmain', 'HEAD']) {
        const r = await api(`${hub.url}/alice/files/resolve/${rev}/dir/hello.txt`);
        assert.equal(r.status, 200, rev);
        assert.equal(r.headers.get('x-repo-commit'), c.commitOid);
        await r.text();
      }
      const nf = await api(`${hub.url}/alice/files/resolve/main/dir/nope.txt`);
      await expectError(nf, 404, 'EntryNotFound');
      assert.equal(nf.headers.get('x-repo-commit'), c.commitOid, 'X-Repo-Commit on EntryNotFound');
      await expectError(await api(`${hub.url}/alice/files/resolve/main/dir`), 404, 'EntryNotFound');
      await expectError(await api(`${hub.url}/alice/files/resolve/nobranch/dir/hello.txt`), 404, 'RevisionNotFound');
      await expectError(await api(`${hub.url}/alice/files/resolve/refs%252Fheads%252Fmain/dir/hello.txt`), 404, 'RevisionNotFound');
      await expectError(await api(`${hub.url}/alice/nope/resolve/main/x`, t.alice), 404, 'RepoNotFound');
      await expectError(await api(`${hub.url}/alice/nope/resolve/main/x`), 401, 'RepoNotFound');
      const raw = await api(`${hub.url}/alice/files/raw/main/dir/hello.txt`, undefined, { method: 'HEAD' });
      assert.equal(raw.status, 200);
      assert.equal(raw.headers.get('etag'), `"${gitBlobOid(content)}"`);
      const cached = await api(`${hub.url}/alice/files/resolve/main/dir/hello.txt`, undefined, { headers: { 'if-none-match': `"${gitBlobOid(content)}"` } });
      assert.equal(cached.status, 304);
    });

    test('LFS through the API: preupload, batch, signed PUT, verify, commit, resolve', async () => {
      await createRepoVia(hub, t.alice, 'weights');
      const big = randomBytes(200_000);
      const custom = randomBytes(5000);
      const pre = await json(await api(`${hub.url}/api/models/alice/weights/preupload/main`, t.alice, {
        method: 'POST',
        body: JSON.stringify({
          files: [
            { path: 'model.safetensors', size: big.length, sample: big.subarray(0, 512).toString('base64') },
            { path: 'notes.md', size: 10, sample: Buffer.from('plain text').toString('base64') },
            { path: 'weights.custom', size: custom.length, sample: Buffer.concat([Buffer.from('x'), Buffer.alloc(1)]).toString('base64') },
            { path: 'huge.txt', size: 11 * 1024 * 1024, sample: Buffer.from('text').toString('base64') },
          ],
        }),
      }));
      assert.deepEqual(pre.files.map((f: any) => [f.path, f.uploadMode, f.shouldIgnore]), [
        ['model.safetensors', 'lfs', false], ['notes.md', 'regular', false], ['weights.custom', 'lfs', false], ['huge.txt', 'lfs', false],
      ]);
      assert.match(pre.commitOid, /^[0-9a-f]{40}$/);
      const o1 = await uploadLfs(hub, t.alice, 'alice/weights', big);
      const o2 = await uploadLfs(hub, t.alice, 'alice/weights', custom);
      const r = await commitVia(hub, t.alice, 'alice/weights', [lfsOp('model.safetensors', o1), lfsOp('weights.custom', { oid: o2.oid })]);
      assert.equal(r.status, 200, await r.clone().text());
      const commit = (await json(r)).commitOid;

      // The hub's own answer: the file, or on S3 the redirect to the bucket, with the same headers.
      const head = await api(`${hub.url}/alice/weights/resolve/main/model.safetensors`, undefined, { method: 'HEAD', redirect: 'manual' });
      assert.equal(head.status, hub.s3 ? 302 : 200);
      assert.equal(head.headers.get('etag'), `"${o1.oid}"`);
      assert.equal(head.headers.get('x-linked-etag'), `"${o1.oid}"`);
      assert.equal(head.headers.get('x-linked-size'), String(big.length));
      assert.equal(head.headers.get('x-repo-commit'), commit);
      const bytes = Buffer.from(await (await api(`${hub.url}/alice/weights/resolve/main/model.safetensors`)).arrayBuffer());
      assert.ok(bytes.equals(big));
      const part = await api(`${hub.url}/alice/weights/resolve/main/model.safetensors`, undefined, { headers: { range: 'bytes=100-199' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 100-199/${big.length}`);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(big.subarray(100, 200)));
      const pointer = await (await api(`${hub.url}/alice/weights/raw/main/model.safetensors`)).text();
      assert.equal(pointer, `version https://git-lfs.github.com/spec/v1\noid sha256:${o1.oid}\nsize ${big.length}\n`);

      const tree = await json(await api(`${hub.url}/api/models/alice/weights/tree/main`));
      const e = tree.find((x: any) => x.path === 'model.safetensors');
      assert.deepEqual(e.lfs, { oid: o1.oid, size: big.length, pointerSize: pointer.length });
      assert.equal(e.size, big.length);
      assert.equal(e.oid, gitBlobOid(pointer));
      const info = await json(await api(`${hub.url}/api/models/alice/weights?blobs=true`));
      const customPointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${o2.oid}\nsize ${custom.length}\n`;
      assert.deepEqual(info.siblings.find((s: any) => s.rfilename === 'weights.custom').lfs, { sha256: o2.oid, size: custom.length, pointerSize: customPointer.length });
      // An LFS path no rule covers gets its own .gitattributes line.
      const attrs = await (await api(`${hub.url}/alice/weights/resolve/main/.gitattributes`)).text();
      assert.match(attrs, /^weights\.custom filter=lfs diff=lfs merge=lfs -text$/m);
      assert.doesNotMatch(attrs, /^model\.safetensors filter/m);

      // preupload reports the remote oid (sha256 for LFS, git oid for regular) so that clients skip unchanged files.
      const pre2 = await json(await api(`${hub.url}/api/models/alice/weights/preupload/main`, t.alice, {
        method: 'POST', body: JSON.stringify({ files: [{ path: 'model.safetensors', size: big.length, sample: '' }, { path: '.gitattributes', size: 1, sample: '' }] }),
      }));
      assert.equal(pre2.files[0].oid, o1.oid);
      assert.equal(pre2.files[1].oid, gitBlobOid(attrs));
      // A second batch for the same object needs no upload.
      const again = await json(await api(`${hub.url}/alice/weights.git/info/lfs/objects/batch`, t.alice, {
        method: 'POST', body: JSON.stringify({ operation: 'upload', objects: [{ oid: o1.oid, size: big.length }] }),
      }));
      assert.equal(again.objects[0].actions, undefined);
      assert.equal(again.transfer, 'basic');
    });

    test('.gitignore makes preupload answer shouldIgnore', async () => {
      await createRepoVia(hub, t.alice, 'ignored');
      await commitVia(hub, t.alice, 'alice/ignored', [fileOp('.gitignore', '*.log\ncache/\n')]);
      const pre = await json(await api(`${hub.url}/api/models/alice/ignored/preupload/main`, t.alice, {
        method: 'POST', body: JSON.stringify({ files: [{ path: 'run.log', size: 1, sample: '' }, { path: 'cache/x', size: 1, sample: '' }, { path: 'ok.txt', size: 1, sample: '' }] }),
      }));
      assert.deepEqual(pre.files.map((f: any) => f.shouldIgnore), [true, true, false]);
      const pre2 = await json(await api(`${hub.url}/api/models/alice/ignored/preupload/main`, t.alice, {
        method: 'POST', body: JSON.stringify({ gitIgnore: 'ok.txt\n', files: [{ path: 'ok.txt', size: 1, sample: '' }] }),
      }));
      assert.equal(pre2.files[0].shouldIgnore, true);
    });

    test('deletedFile, deletedFolder, and file/folder clashes', async () => {
      await createRepoVia(hub, t.alice, 'deletes');
      await commitVia(hub, t.alice, 'alice/deletes', [fileOp('a.txt', 'a'), fileOp('dir/b.txt', 'b'), fileOp('dir/sub/c.txt', 'c'), fileOp('keep/d.txt', 'd')]);
      const r = await commitVia(hub, t.alice, 'alice/deletes', [{ key: 'deletedFile', value: { path: 'a.txt' } }, { key: 'deletedFolder', value: { path: 'dir/' } }]);
      assert.equal(r.status, 200, await r.clone().text());
      const files = (await json(await api(`${hub.url}/api/models/alice/deletes/tree/main?recursive=true`))).filter((e: any) => e.type === 'file').map((e: any) => e.path);
      assert.deepEqual(files, ['.gitattributes', 'keep/d.txt']);
      const head = await headOf(hub, t.alice, 'alice/deletes');
      const gone = await commitVia(hub, t.alice, 'alice/deletes', [{ key: 'deletedFile', value: { path: 'a.txt' } }]);
      const body = await expectError(gone, 404, 'EntryNotFound');
      assert.match(body.error, /A file with this name doesn't exist/);
      await expectError(await commitVia(hub, t.alice, 'alice/deletes', [{ key: 'deletedFolder', value: { path: 'nope/' } }]), 404, 'EntryNotFound');
      await expectError(await commitVia(hub, t.alice, 'alice/deletes', [fileOp('keep/d.txt/x', 'x')]), 400);
      await expectError(await commitVia(hub, t.alice, 'alice/deletes', [fileOp('keep', 'x')]), 400);
      assert.equal(await headOf(hub, t.alice, 'alice/deletes'), head, 'failed commits wrote nothing');
      // Replacing a folder by a file is fine once the folder is deleted in the same commit.
      const ok = await commitVia(hub, t.alice, 'alice/deletes', [{ key: 'deletedFolder', value: { path: 'keep' } }, fileOp('keep', 'now a file')]);
      assert.equal(ok.status, 200, await ok.clone().text());
    });

    test('parentCommit: a stale parent is refused with 412 and writes nothing', async () => {
      await createRepoVia(hub, t.alice, 'parents');
      const base = await headOf(hub, t.alice, 'alice/parents');
      const ok = await commitVia(hub, t.alice, 'alice/parents', [fileOp('x.txt', '1')], { parentCommit: base });
      assert.equal(ok.status, 200);
      const newHead = (await json(ok)).commitOid;
      const stale = await commitVia(hub, t.alice, 'alice/parents', [fileOp('y.txt', '2')], { parentCommit: base });
      const body = await expectError(stale, 412);
      assert.equal(body.error, 'A commit has happened since. Please refresh and try again.');
      assert.equal(await headOf(hub, t.alice, 'alice/parents'), newHead);
      const short = await commitVia(hub, t.alice, 'alice/parents', [fileOp('z.txt', '3')], { parentCommit: newHead.slice(0, 7) });
      assert.equal(short.status, 200);
    });

    test('concurrent writers: without parentCommit all land in a linear history; with the same parent exactly one wins', async () => {
      await createRepoVia(hub, t.alice, 'race');
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => commitVia(hub, t.alice, 'alice/race', [fileOp(`f${i}.txt`, String(i))], { summary: `c${i}` })));
      for (const r of results) assert.equal(r.status, 200, await r.clone().text());
      const commits = await json(await api(`${hub.url}/api/models/alice/race/commits/main?limit=100`));
      assert.equal(commits.length, 9);
      const files = (await json(await api(`${hub.url}/api/models/alice/race/tree/main`))).map((e: any) => e.path);
      for (let i = 0; i < 8; i++) assert.ok(files.includes(`f${i}.txt`));
      const base = await headOf(hub, t.alice, 'alice/race');
      const contenders = await Promise.all(Array.from({ length: 6 }, (_, i) => commitVia(hub, t.alice, 'alice/race', [fileOp(`g${i}.txt`, String(i))], { parentCommit: base })));
      const statuses = contenders.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 412, 412, 412, 412, 412]);
      const after = await json(await api(`${hub.url}/api/models/alice/race/commits/main?limit=100`));
      assert.equal(after.length, 10);
    });

    test('commits: newest first, X-Total-Count, absolute Link pages', async () => {
      await createRepoVia(hub, t.alice, 'history');
      for (let i = 0; i < 4; i++) await commitVia(hub, t.alice, 'alice/history', [fileOp('f.txt', String(i))], { summary: `step ${i}` });
      const first = await api(`${hub.url}/api/models/alice/history/commits/main?limit=2`);
      assert.equal(first.headers.get('x-total-count'), '5');
      const page1 = await json(first);
      assert.deepEqual(page1.map((c: any) => c.title), ['step 3', 'step 2']);
      assert.equal(page1[0].authors[0].user, 'alice');
      assert.match(page1[0].date, /Z$/);
      const link = first.headers.get('link')!;
      const m = /^<(http:\/\/[^>]+)>; rel="next"$/.exec(link);
      assert.ok(m, link);
      assert.match(m[1]!, /limit=2/);
      const page2 = await json(await api(m[1]!));
      assert.deepEqual(page2.map((c: any) => c.title), ['step 1', 'step 0']);
      const last = await api(`${hub.url}/api/models/alice/history/commits/main?limit=2&cursor=${new URL(m[1]!).searchParams.get('cursor')}`);
      await last.json();
      const all = await api(`${hub.url}/api/models/alice/history/commits/main`);
      assert.equal(all.headers.get('link'), null);
      assert.equal((await json(all)).at(-1).title, 'initial commit');
    });

    test('branches and tags: create, conflict, refs, commit on a branch, delete', async () => {
      await createRepoVia(hub, t.alice, 'refs');
      const main1 = await headOf(hub, t.alice, 'alice/refs');
      assert.equal((await api(`${hub.url}/api/models/alice/refs/branch/dev`, t.alice, { method: 'POST', body: '{}' })).status, 200);
      await expectError(await api(`${hub.url}/api/models/alice/refs/branch/dev`, t.alice, { method: 'POST', body: '{}' }), 409);
      await expectError(await api(`${hub.url}/api/models/alice/refs/branch/${encodeURIComponent('refs/pr/5')}`, t.alice, { method: 'POST', body: '{}' }), 400);
      const c = await json(await commitVia(hub, t.alice, 'alice/refs', [fileOp('dev.txt', 'dev')], { revision: 'dev' }));
      assert.equal(await headOf(hub, t.alice, 'alice/refs', 'dev'), c.commitOid);
      assert.equal(await headOf(hub, t.alice, 'alice/refs', 'main'), main1);
      assert.equal(await (await api(`${hub.url}/alice/refs/resolve/dev/dev.txt`)).text(), 'dev');
      const nested = await api(`${hub.url}/api/models/alice/refs/branch/${encodeURIComponent('feature/x')}`, t.alice, { method: 'POST', body: JSON.stringify({ startingPoint: 'dev' }) });
      assert.equal(nested.status, 200);
      assert.equal(await headOf(hub, t.alice, 'alice/refs', 'feature/x'), c.commitOid);
      const tag = await api(`${hub.url}/api/models/alice/refs/tag/dev`, t.alice, { method: 'POST', body: JSON.stringify({ tag: 'v1', message: 'first' }) });
      assert.equal(tag.status, 200);
      await expectError(await api(`${hub.url}/api/models/alice/refs/tag/main`, t.alice, { method: 'POST', body: JSON.stringify({ tag: 'v1' }) }), 409);
      assert.equal((await api(`${hub.url}/api/models/alice/refs/tag/main`, t.alice, { method: 'POST', body: JSON.stringify({ tag: 'light' }) })).status, 200);
      const refs = await json(await api(`${hub.url}/api/models/alice/refs/refs?include_prs=1`));
      assert.deepEqual(refs.branches.map((b: any) => b.name).sort(), ['dev', 'feature/x', 'main']);
      assert.deepEqual(refs.tags.map((b: any) => [b.name, b.ref, b.targetCommit]).sort(), [['light', 'refs/tags/light', main1], ['v1', 'refs/tags/v1', c.commitOid]]);
      assert.deepEqual(refs.converts, []);
      assert.deepEqual(refs.pullRequests, []);
      assert.equal(await (await api(`${hub.url}/alice/refs/resolve/v1/dev.txt`)).text(), 'dev');
      await expectError(await commitVia(hub, t.alice, 'alice/refs', [fileOp('x', 'x')], { revision: 'v1' }), 404, 'RevisionNotFound');
      assert.equal((await api(`${hub.url}/api/models/alice/refs/tag/v1`, t.alice, { method: 'DELETE' })).status, 200);
      assert.equal((await api(`${hub.url}/api/models/alice/refs/branch/dev`, t.alice, { method: 'DELETE' })).status, 200);
      await expectError(await api(`${hub.url}/api/models/alice/refs/branch/main`, t.alice, { method: 'DELETE' }), 400);
      await expectError(await api(`${hub.url}/api/models/alice/refs/branch/dev`, t.alice, { method: 'DELETE' }), 404, 'RevisionNotFound');
      const refs2 = await json(await api(`${hub.url}/api/models/alice/refs/refs`));
      assert.deepEqual(refs2.branches.map((b: any) => b.name).sort(), ['feature/x', 'main']);
      assert.deepEqual(refs2.tags.map((b: any) => b.name), ['light']);
      await expectError(await api(`${hub.url}/alice/refs/resolve/v1/dev.txt`), 404, 'RevisionNotFound');
    });

    test('listing: search, author, filter, sort, expand and absolute Link pagination', async () => {
      const names = ['list-a', 'list-b', 'list-c'];
      for (const n of names) await createRepoVia(hub, t.alice, n);
      await commitVia(hub, t.alice, 'alice/list-b', [fileOp('README.md', '---\nlicense: mit\nlanguage: en\n---\n')]);
      const found = await json(await api(`${hub.url}/api/models?search=list-`));
      assert.deepEqual(found.map((r: any) => r.id).sort(), names.map((n) => `alice/${n}`));
      const filtered = await json(await api(`${hub.url}/api/models?filter=license:mit&filter=en`));
      assert.deepEqual(filtered.map((r: any) => r.id), ['alice/list-b']);
      assert.deepEqual(await json(await api(`${hub.url}/api/models?filter=license:mit&filter=fr`)), []);
      const byAuthor = await json(await api(`${hub.url}/api/models?author=bob`));
      assert.ok(byAuthor.every((r: any) => r.id.startsWith('bob/')));
      const sorted = await json(await api(`${hub.url}/api/models?search=list-&sort=lastModified`));
      assert.equal(sorted[0].id, 'alice/list-b');
      const r1 = await api(`${hub.url}/api/models?search=list-&limit=2&expand=downloads&expand=likes`);
      const page1 = await json(r1);
      assert.equal(page1.length, 2);
      assert.deepEqual(Object.keys(page1[0]).sort(), ['_id', 'downloads', 'id', 'likes']);
      const next = /^<(http:\/\/[^>]+)>; rel="next"$/.exec(r1.headers.get('link')!)![1]!;
      assert.ok(next.startsWith(hub.url));
      assert.deepEqual(new URL(next).searchParams.getAll('expand'), ['downloads', 'likes']);
      const r2 = await api(next);
      const page2 = await json(r2);
      assert.equal(page2.length, 1);
      assert.equal(r2.headers.get('link'), null);
      assert.deepEqual([...page1, ...page2].map((r: any) => r.id).sort(), names.map((n) => `alice/${n}`));
      const full = await json(await api(`${hub.url}/api/models?search=list-b&full=true`));
      assert.deepEqual(full[0].siblings.map((s: any) => s.rfilename), ['.gitattributes', 'README.md']);
      const datasets = await json(await api(`${hub.url}/api/datasets?search=list-`));
      assert.deepEqual(datasets, []);
    });

    test('search is a case-insensitive substring of the id, kept right through renames and deletes', async () => {
      for (const n of ['Searchable_One', 'searchable.two', 'other-three']) assert.equal((await createRepoVia(hub, t.alice, n)).status, 200);
      const ids = async (q: string): Promise<string[]> => (await json(await api(`${hub.url}/api/models?search=${encodeURIComponent(q)}`))).map((r: any) => r.id).sort();
      assert.deepEqual(await ids('SEARCHABLE'), ['alice/Searchable_One', 'alice/searchable.two']);
      assert.deepEqual(await ids('able_o'), ['alice/Searchable_One']);
      assert.deepEqual(await ids('e_'), ['alice/Searchable_One'], 'short terms and _ match literally');
      assert.deepEqual(await ids('alice/searchable.'), ['alice/searchable.two']);
      assert.deepEqual(await ids('"x'), []);
      const move = await api(`${hub.url}/api/repos/move`, t.alice, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fromRepo: 'alice/other-three', toRepo: 'alice/renamed-searchable', type: 'model' }) });
      assert.equal(move.status, 200, await move.clone().text());
      assert.deepEqual(await ids('other-three'), []);
      assert.deepEqual(await ids('renamed-search'), ['alice/renamed-searchable']);
      const del = await api(`${hub.url}/api/repos/delete`, t.alice, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'searchable.two', organization: 'alice', type: 'model' }) });
      assert.equal(del.status, 200);
      assert.deepEqual(await ids('searchable'), ['alice/Searchable_One', 'alice/renamed-searchable']);
    });

    test('a private repo is invisible, through every door, to anyone without access', async () => {
      await createRepoVia(hub, t.alice, 'secret', { private: true });
      const c = await json(await commitVia(hub, t.alice, 'alice/secret', [fileOp('w.txt', 'secret bytes')]));
      assert.equal(c.success, true);
      const lfs = await uploadLfs(hub, t.alice, 'alice/secret', randomBytes(1000));
      await commitVia(hub, t.alice, 'alice/secret', [lfsOp('w.bin', lfs)]);
      const doors: [string, RequestInit?][] = [
        [`/api/models/alice/secret`],
        [`/api/models/alice/secret/revision/main`],
        [`/api/models/alice/secret/tree/main`],
        [`/api/models/alice/secret/refs`],
        [`/api/models/alice/secret/commits/main`],
        [`/api/models/alice/secret/auth-check`],
        [`/api/models/alice/secret/paths-info/main`, { method: 'POST', body: JSON.stringify({ paths: ['w.txt'] }) }],
        [`/alice/secret/resolve/main/w.txt`],
        [`/alice/secret/resolve/main/w.bin`],
        [`/alice/secret/raw/main/w.txt`],
        [`/alice/secret.git/info/lfs/objects/batch`, { method: 'POST', body: JSON.stringify({ operation: 'download', objects: [lfs] }) }],
        [`/alice/secret/info/refs?service=git-upload-pack`],
        [`/api/models/alice/secret/preupload/main`, { method: 'POST', body: JSON.stringify({ files: [] }) }],
      ];
      for (const [p, init] of doors) {
        const anon = await api(`${hub.url}${p}`, undefined, init);
        const anonText = await anon.text();
        assert.equal(anon.status, 401, `anonymous ${p}: ${anonText}`);
        assert.doesNotMatch(anonText, /secret bytes/);
        const other = await api(`${hub.url}${p}`, t.bob, init);
        const otherText = await other.text();
        assert.equal(other.status, 404, `bob ${p}: ${otherText}`);
        // Exactly what a repo that does not exist answers.
        const ghost = await api(`${hub.url}${p.replace('secret', 'ghost')}`, t.bob, init);
        assert.equal(ghost.status, 404);
        const withoutId = (text: string): string => text.replace(/"request_id":"[^"]*"/, '');
        assert.equal(withoutId(otherText.replaceAll('secret', 'ghost')), withoutId(await ghost.text()), p);
        const owner = await api(`${hub.url}${p}`, t.alice, init);
        assert.ok(owner.status < 300, `alice ${p}: ${owner.status}`);
        await owner.arrayBuffer();
      }
      const bobList = await json(await api(`${hub.url}/api/models?search=secret`, t.bob));
      assert.deepEqual(bobList, []);
      const anonList = await json(await api(`${hub.url}/api/models?author=alice&limit=1000`));
      assert.ok(!anonList.some((r: any) => r.id === 'alice/secret'));
      const aliceList = await json(await api(`${hub.url}/api/models?search=secret`, t.alice));
      assert.deepEqual(aliceList.map((r: any) => r.id), ['alice/secret']);
      // The download URL of an object bob cannot see, even knowing its hash.
      const probe = await api(`${hub.url}/bob/mine.git/info/lfs/objects/batch`, t.bob, { method: 'POST', body: JSON.stringify({ operation: 'download', objects: [lfs] }) });
      assert.equal((await json(probe)).objects[0].error.code, 404);
    });

    test('settings, move and delete', async () => {
      await createRepoVia(hub, t.alice, 'lifecycle', { private: true });
      await expectError(await api(`${hub.url}/api/models/alice/lifecycle`, t.bob), 404, 'RepoNotFound');
      const s = await api(`${hub.url}/api/models/alice/lifecycle/settings`, t.alice, { method: 'PUT', body: JSON.stringify({ visibility: 'public' }) });
      assert.equal(s.status, 200);
      assert.equal((await json(await api(`${hub.url}/api/models/alice/lifecycle`, t.bob))).private, false);
      await expectError(await api(`${hub.url}/api/models/alice/lifecycle/settings`, t.bob, { method: 'PUT', body: JSON.stringify({ private: true }) }), 403);
      await expectError(await api(`${hub.url}/api/models/alice/lifecycle/settings`, t.alice, { method: 'PUT', body: JSON.stringify({ visibility: 'secret' }) }), 400);
      assert.equal((await api(`${hub.url}/api/models/alice/lifecycle/settings`, t.alice, { method: 'PUT', body: JSON.stringify({ private: true, gated: 'auto' }) })).status, 200);
      const info = await json(await api(`${hub.url}/api/models/alice/lifecycle`, t.alice));
      assert.equal(info.private, true);
      assert.equal(info.gated, 'auto');

      await commitVia(hub, t.alice, 'alice/lifecycle', [fileOp('kept.txt', 'kept')]);
      const mv = await api(`${hub.url}/api/repos/move`, t.alice, { method: 'POST', body: JSON.stringify({ fromRepo: 'alice/lifecycle', toRepo: 'alice/renamed', type: 'model' }) });
      assert.equal(mv.status, 200);
      assert.equal(await (await api(`${hub.url}/alice/renamed/resolve/main/kept.txt`, t.alice)).text(), 'kept');
      // The old name answers reads with a relative 307 to the new one, to those who may read it.
      const old = await api(`${hub.url}/alice/lifecycle/resolve/main/kept.txt?download=true`, t.alice, { redirect: 'manual' });
      assert.equal(old.status, 307);
      assert.equal(old.headers.get('location'), '/alice/renamed/resolve/main/kept.txt?download=true');
      const oldApi = await api(`${hub.url}/api/models/alice/lifecycle/revision/main`, t.alice, { redirect: 'manual' });
      assert.equal(oldApi.headers.get('location'), '/api/models/alice/renamed/revision/main');
      assert.equal((await json(await api(`${hub.url}/api/models/alice/lifecycle`, t.alice))).id, 'alice/renamed');
      await expectError(await api(`${hub.url}/api/models/alice/lifecycle`, t.bob, { redirect: 'manual' }), 404, 'RepoNotFound');
      await expectError(await commitVia(hub, t.alice, 'alice/lifecycle', [fileOp('x', 'x')]), 404, 'RepoNotFound');
      await createRepoVia(hub, t.alice, 'taken');
      await expectError(await api(`${hub.url}/api/repos/move`, t.alice, { method: 'POST', body: JSON.stringify({ fromRepo: 'alice/renamed', toRepo: 'alice/taken', type: 'model' }) }), 409);

      const id = (await json(await api(`${hub.url}/api/models/alice/renamed`, t.alice)))._id;
      await expectError(await api(`${hub.url}/api/repos/delete`, t.bob, { method: 'DELETE', body: JSON.stringify({ name: 'renamed', organization: 'alice' }) }), 404, 'RepoNotFound');
      const del = await api(`${hub.url}/api/repos/delete`, t.alice, { method: 'DELETE', body: JSON.stringify({ name: 'renamed', organization: 'alice', type: 'model' }) });
      assert.equal(del.status, 200);
      await expectError(await api(`${hub.url}/api/models/alice/renamed`, t.alice), 404, 'RepoNotFound');
      await expectError(await api(`${hub.url}/api/repos/delete`, t.alice, { method: 'DELETE', body: JSON.stringify({ name: 'renamed', organization: 'alice' }) }), 404, 'RepoNotFound');
      await assert.rejects(access(path.join(hub.dataDir, 'git', `${id}.git`)));
      // The name can be used again; so can the old one, which then stops redirecting.
      assert.equal((await createRepoVia(hub, t.alice, 'renamed')).status, 200);
      assert.equal((await createRepoVia(hub, t.alice, 'lifecycle')).status, 200);
      assert.equal((await api(`${hub.url}/api/models/alice/lifecycle`, t.alice, { redirect: 'manual' })).status, 200);
    });

    test('validate-yaml answers JSON in every case', async () => {
      const ok = await api(`${hub.url}/api/validate-yaml`, t.alice, { method: 'POST', body: JSON.stringify({ content: '---\nlicense: mit\n---\n', repoType: 'model' }) });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), {});
      const bad = await api(`${hub.url}/api/validate-yaml`, t.alice, { method: 'POST', body: JSON.stringify({ content: '---\nlicense: [oops\n---\n', repoType: 'model' }) });
      assert.equal(bad.status, 400);
      const body = await json(bad);
      assert.ok(Array.isArray(body.errors) && body.errors[0].message);
      const wrongType = await json(await api(`${hub.url}/api/validate-yaml`, t.alice, { method: 'POST', body: JSON.stringify({ content: '---\ntags: {a: 1}\n---\n' }) }));
      assert.match(wrongType.errors[0].message, /tags/);
    });

    test('datasets and spaces live under their prefixes', async () => {
      await createRepoVia(hub, t.alice, 'corpus', { type: 'dataset' });
      await commitVia(hub, t.alice, 'alice/corpus', [fileOp('data.csv', 'a,b\n1,2\n'), fileOp('README.md', '---\nlicense: cc-by-4.0\ntask_categories: [text-classification]\n---\n')], { type: 'datasets' });
      assert.equal(await (await api(`${hub.url}/datasets/alice/corpus/resolve/main/data.csv`)).text(), 'a,b\n1,2\n');
      const info = await json(await api(`${hub.url}/api/datasets/alice/corpus`));
      assert.ok(info.tags.includes('task_categories:text-classification'));
      assert.deepEqual((await json(await api(`${hub.url}/api/datasets?filter=task_categories:text-classification`))).map((d: any) => d.id), ['alice/corpus']);
      await expectError(await api(`${hub.url}/alice/corpus/resolve/main/data.csv`), 401, 'RepoNotFound');
      await createRepoVia(hub, t.alice, 'demo', { type: 'space' });
      const space = await json(await api(`${hub.url}/api/spaces/alice/demo`));
      assert.equal(space.id, 'alice/demo');
      assert.equal(typeof space.runtime, 'object');
    });
  });
}
