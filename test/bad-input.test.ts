import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { storedLfsFiles, api, commitVia, createRepoVia, fileOp, headOf, lfsOp, sha256, startTestHub, uploadLfs, type TestHub, expectError } from './helpers/hub.js';


/** A raw HTTP request, for bodies fetch will not send (truncated uploads). */
function rawRequest(url: string, opts: { method: string; headers: Record<string, string>; body: Buffer; abortAfter?: number }): Promise<{ status: number; body: string } | 'aborted'> {
  return new Promise((resolve, reject) => {
    // Split by hand: URL parsing would normalise dot segments that these tests send on purpose.
    const m = /^http:\/\/([^/:]+):(\d+)(\/.*)$/.exec(url)!;
    const req = http.request({ host: m[1], port: Number(m[2]), path: m[3], method: opts.method, headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (err) => (opts.abortAfter !== undefined ? resolve('aborted') : reject(err)));
    if (opts.abortAfter !== undefined) {
      req.write(opts.body.subarray(0, opts.abortAfter), () => setTimeout(() => req.destroy(), 100));
    } else {
      req.end(opts.body);
    }
  });
}

describe('bad input', () => {
  let hub: TestHub;
  let t: TestHub['tokens'];
  let head: string;
  before(async () => {
    hub = await startTestHub({ env: { ORCHARD_MAX_COMMIT_LINE_BYTES: String(64 * 1024), ORCHARD_MAX_JSON_BODY_BYTES: String(64 * 1024) } });
    t = hub.tokens;
    await createRepoVia(hub, t.alice, 'target');
    await commitVia(hub, t.alice, 'alice/target', [fileOp('dir/file.txt', 'x')]);
    head = await headOf(hub, t.alice, 'alice/target');
  });
  after(() => hub.close());

  const unchanged = async (): Promise<void> => assert.equal(await headOf(hub, t.alice, 'alice/target'), head, 'nothing was written');

  test('invalid repo ids in URLs', async () => {
    for (const p of ['/api/models/alice/a--b', '/api/models/-x/y', '/alice/a%00b/resolve/main/x', '/api/models/api/x', '/alice/bad%2Fname/resolve/main/x']) {
      await expectError(await api(`${hub.url}${p}`, t.alice), 400);
    }
    await expectError(await api(`${hub.url}/alice/%E0%A4%A/resolve/main/x`), 400);
  });

  test('path traversal and forbidden paths in commits are refused, nothing written', async () => {
    for (const p of ['../escape.txt', 'a/../../b', '/etc/passwd', '.git/config', 'sub/.git/HEAD', 'nul\u0000byte', 'a//b', 'back\\slash', '']) {
      const body = await expectError(await commitVia(hub, t.alice, 'alice/target', [fileOp(p, 'evil')]), 400);
      assert.match(body.error, /Invalid path/);
      await expectError(await commitVia(hub, t.alice, 'alice/target', [{ key: 'deletedFile', value: { path: p } }]), 400);
    }
    await expectError(await commitVia(hub, t.alice, 'alice/target', [{ key: 'deletedFolder', value: { path: '../' } }]), 400);
    await unchanged();
  });

  test('path traversal on reads', async () => {
    // fetch would normalise dot segments away; send the paths as written.
    for (const p of ['/api/models/alice/..', '/alice/target/resolve/main/..%2F..%2Fetc%2Fpasswd', '/alice/target/resolve/main/dir/%2E%2E/file.txt', '/alice/target/resolve/main/dir/../dir/file.txt', '/alice/target/raw/main/.git/config']) {
      const r = await rawRequest(`${hub.url}${p}`, { method: 'GET', headers: {}, body: Buffer.alloc(0) });
      assert.ok(r !== 'aborted');
      assert.equal(r.status, 400, `${p}: ${r.body}`);
      assert.match(JSON.parse(r.body).error, /Invalid (path|repo name)/);
    }
    await expectError(await api(`${hub.url}/api/models/alice/target/tree/main/..%2Fx`), 400);
    await expectError(await api(`${hub.url}/api/models/alice/target/paths-info/main`, undefined, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paths: ['../x'] }) }), 400);
  });

  test('unknown revisions', async () => {
    await expectError(await commitVia(hub, t.alice, 'alice/target', [fileOp('x', 'x')], { revision: 'nobranch' }), 404, 'RevisionNotFound');
    await expectError(await api(`${hub.url}/api/models/alice/target/revision/${'f'.repeat(40)}`), 404, 'RevisionNotFound');
    await expectError(await api(`${hub.url}/api/models/alice/target/commits/nope`), 404, 'RevisionNotFound');
    await expectError(await api(`${hub.url}/api/models/alice/target/preupload/nope`, t.alice, { method: 'POST', body: JSON.stringify({ files: [] }) }), 404, 'RevisionNotFound');
    await unchanged();
  });

  test('malformed NDJSON', async () => {
    const post = (body: string): Promise<Response> =>
      api(`${hub.url}/api/models/alice/target/commit/main`, t.alice, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    await expectError(await post(''), 400);
    await expectError(await post('not json\n'), 400);
    await expectError(await post(JSON.stringify({ key: 'file', value: { path: 'a', content: '' } })), 400);
    await expectError(await post(`${JSON.stringify({ key: 'header', value: {} })}\n`), 400);
    await expectError(await post(`${JSON.stringify({ key: 'header', value: { summary: 's' } })}\n${JSON.stringify({ key: 'mystery', value: {} })}`), 400);
    await expectError(await post(`${JSON.stringify({ key: 'header', value: { summary: 's' } })}\n${JSON.stringify({ key: 'file', value: { path: 'a', content: '!!notbase64!!', encoding: 'base64' } })}`), 400);
    await expectError(await post(`${JSON.stringify({ key: 'header', value: { summary: 's' } })}\n${JSON.stringify({ key: 'lfsFile', value: { path: 'a', oid: 'xyz', algo: 'sha256', size: 1 } })}`), 400);
    await expectError(await post(`${JSON.stringify({ key: 'header', value: { summary: 's', parentCommit: '../x' } })}\n`), 400);
    await expectError(await post(`${JSON.stringify({ key: 'header', value: { summary: 's' } })}\n[1,2]`), 400);
    await unchanged();
  });

  test('an oversized NDJSON line is refused with 413', async () => {
    const big = randomBytes(100 * 1024);
    await expectError(await commitVia(hub, t.alice, 'alice/target', [fileOp('big.txt', big)]), 413);
    await unchanged();
  });

  test('oversized and malformed JSON bodies', async () => {
    await expectError(await api(`${hub.url}/api/repos/create`, t.alice, { method: 'POST', body: 'x'.repeat(100 * 1024) }), 413);
    await expectError(await api(`${hub.url}/api/repos/create`, t.alice, { method: 'POST', body: '{"name": ' }), 400);
    await expectError(await api(`${hub.url}/api/repos/create`, t.alice, { method: 'POST', body: '[1]' }), 400);
    await expectError(await api(`${hub.url}/api/models/alice/target/preupload/main`, t.alice, { method: 'POST', body: JSON.stringify({ files: 'nope' }) }), 400);
    await expectError(await api(`${hub.url}/api/models/alice/target/preupload/main`, t.alice, { method: 'POST', body: JSON.stringify({ files: [{ path: 'a', size: -1 }] }) }), 400);
    await expectError(await api(`${hub.url}/api/models/alice/target/branch/x`, t.alice, { method: 'POST', body: JSON.stringify({ startingPoint: 5 }) }), 400);
    await expectError(await api(`${hub.url}/api/models/alice/target/tag/main`, t.alice, { method: 'POST', body: JSON.stringify({}) }), 400);
    await expectError(await api(`${hub.url}/api/repos/move`, t.alice, { method: 'POST', body: JSON.stringify({ fromRepo: 'alice/target', toRepo: 'nonamespace' }) }), 400);
  });

  test('LFS: wrong bytes, wrong size, truncated and tampered uploads store nothing', async () => {
    const content = randomBytes(300_000);
    const oid = sha256(content);
    const batch = await (await api(`${hub.url}/alice/target.git/info/lfs/objects/batch`, t.alice, {
      method: 'POST', body: JSON.stringify({ operation: 'upload', objects: [{ oid, size: content.length }] }),
    })).json() as any;
    const href: string = batch.objects[0].actions.upload.href;
    const before = await storedLfsFiles(hub);

    // Same size, other bytes.
    const wrong = randomBytes(content.length);
    const r1 = await rawRequest(href, { method: 'PUT', headers: { 'content-length': String(wrong.length) }, body: wrong });
    assert.ok(r1 !== 'aborted');
    assert.equal(r1.status, 422, r1.body);
    assert.match(JSON.parse(r1.body).error, /does not match its sha256/);
    // A declared length that is not the announced size.
    const r2 = await rawRequest(href, { method: 'PUT', headers: { 'content-length': '10' }, body: content.subarray(0, 10) });
    assert.ok(r2 !== 'aborted');
    assert.equal(r2.status, 400);
    // Chunked, too long.
    const r3 = await rawRequest(href, { method: 'PUT', headers: { 'transfer-encoding': 'chunked' }, body: Buffer.concat([content, Buffer.from('extra')]) });
    assert.ok(r3 !== 'aborted');
    assert.equal(r3.status, 422);
    // The connection drops halfway.
    const r4 = await rawRequest(href, { method: 'PUT', headers: { 'content-length': String(content.length) }, body: content, abortAfter: 100_000 });
    assert.equal(r4, 'aborted');
    await new Promise((r) => setTimeout(r, 300));
    // A tampered or foreign signature.
    await expectError(await fetch(href.replace(/sig=[^&]+/, 'sig=AAAA'), { method: 'PUT', body: new Uint8Array(content) }), 403);
    await expectError(await fetch(href.replace(/exp=\d+/, 'exp=9999999999'), { method: 'PUT', body: new Uint8Array(content) }), 403);
    await expectError(await fetch(href.replace(/size=\d+/, 'size=1'), { method: 'PUT', body: new Uint8Array(content) }), 403);
    await createRepoVia(hub, t.bob, 'other', { organization: 'bob' });
    await expectError(await fetch(href.replace('/alice/target.git/', '/bob/other.git/'), { method: 'PUT', body: new Uint8Array(content) }), 403);

    assert.deepEqual(await storedLfsFiles(hub), before, 'no object or temp file left behind');
    // A commit naming the object that never arrived is refused.
    const body = await expectError(await commitVia(hub, t.alice, 'alice/target', [lfsOp('w.bin', { oid, size: content.length })]), 400);
    assert.match(body.error, /was not uploaded/);
    // Now the real bytes, and the commit with a wrong size.
    const ok = await rawRequest(href, { method: 'PUT', headers: { 'content-length': String(content.length) }, body: content });
    assert.ok(ok !== 'aborted' && ok.status === 200);
    await expectError(await commitVia(hub, t.alice, 'alice/target', [lfsOp('w.bin', { oid, size: 5 })]), 400);
    await unchanged();
  });

  test('LFS: an object uploaded to one repo cannot be committed to another by its hash', async () => {
    const content = randomBytes(2000);
    const obj = await uploadLfs(hub, t.alice, 'alice/target', content);
    const body = await expectError(await commitVia(hub, t.bob, 'bob/other', [lfsOp('stolen.bin', obj)]), 400);
    assert.match(body.error, /was not uploaded to this repo/);
    // Bob's batch asks him to upload it himself.
    const batch = await (await api(`${hub.url}/bob/other.git/info/lfs/objects/batch`, t.bob, { method: 'POST', body: JSON.stringify({ operation: 'upload', objects: [obj] }) })).json() as any;
    assert.ok(batch.objects[0].actions.upload.href);
  });

  test('LFS batch: malformed requests and per-object errors', async () => {
    const batch = (body: unknown, token = t.alice): Promise<Response> =>
      api(`${hub.url}/alice/target.git/info/lfs/objects/batch`, token, { method: 'POST', headers: { 'content-type': 'application/vnd.git-lfs+json' }, body: JSON.stringify(body) });
    const r1 = await batch({ operation: 'delete', objects: [] });
    assert.equal(r1.status, 422);
    assert.ok(((await r1.json()) as any).message);
    assert.equal((await batch({ operation: 'upload' })).status, 422);
    assert.equal((await batch({ operation: 'upload', objects: [], hash_algo: 'md5' })).status, 409);
    const r2 = (await (await batch({ operation: 'upload', objects: [{ oid: 'NOTHEX', size: 1 }, { oid: 'a'.repeat(64), size: -5 }] })).json()) as any;
    assert.equal(r2.objects[0].error.code, 422);
    assert.equal(r2.objects[1].error.code, 422);
    const r3 = (await (await batch({ operation: 'download', objects: [{ oid: 'b'.repeat(64), size: 3 }] })).json()) as any;
    assert.equal(r3.objects[0].error.code, 404);
    const anon = await api(`${hub.url}/alice/target.git/info/lfs/objects/batch`, undefined, { method: 'POST', body: JSON.stringify({ operation: 'upload', objects: [] }) });
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('lfs-authenticate'), 'Basic realm="Git LFS"');
    assert.equal((await batch({ operation: 'upload', objects: [] }, t.aliceRead)).status, 403);
    assert.equal((await batch({ operation: 'upload', objects: [] }, t.bob)).status, 403);
    const locks = await api(`${hub.url}/alice/target.git/info/lfs/locks/verify`, t.alice, { method: 'POST', body: '{}' });
    assert.equal(locks.status, 404);
  });

  test('unauthenticated and read-only writes', async () => {
    const writes: [string, string, unknown][] = [
      ['POST', '/api/models/alice/target/preupload/main', { files: [] }],
      ['POST', '/api/models/alice/target/branch/new', {}],
      ['DELETE', '/api/models/alice/target/branch/new', {}],
      ['POST', '/api/models/alice/target/tag/main', { tag: 'x' }],
      ['PUT', '/api/models/alice/target/settings', { private: true }],
      ['DELETE', '/api/repos/delete', { name: 'target', organization: 'alice' }],
      ['POST', '/api/repos/move', { fromRepo: 'alice/target', toRepo: 'alice/moved' }],
    ];
    for (const [method, p, body] of writes) {
      await expectError(await api(`${hub.url}${p}`, undefined, { method, body: JSON.stringify(body) }), 401);
      await expectError(await api(`${hub.url}${p}`, t.aliceRead, { method, body: JSON.stringify(body) }), 403);
      await expectError(await api(`${hub.url}${p}`, 'hf_forged', { method, body: JSON.stringify(body) }), 401);
    }
    await expectError(await commitVia(hub, '', 'alice/target', [fileOp('x', 'x')]), 401);
    await expectError(await commitVia(hub, t.aliceRead, 'alice/target', [fileOp('x', 'x')]), 403);
    await expectError(await commitVia(hub, t.bob, 'alice/target', [fileOp('x', 'x')]), 403);
    await expectError(await api(`${hub.url}/api/whoami-v2`, undefined, { headers: { authorization: 'Token abc' } }), 401);
    await unchanged();
  });

  test('unknown endpoints, wrong methods, Xet and create_pr answer in the error format', async () => {
    await expectError(await api(`${hub.url}/api/nothing-here`), 404);
    await expectError(await api(`${hub.url}/api/models/alice/target/unknown`), 404);
    await expectError(await api(`${hub.url}/api/whoami-v2`, t.alice, { method: 'DELETE' }), 405);
    await expectError(await api(`${hub.url}/alice/target/resolve/main/dir/file.txt`, undefined, { method: 'POST' }), 405);
    const xet = await expectError(await api(`${hub.url}/api/models/alice/target/xet-write-token/main`, t.alice), 501);
    assert.match(xet.error, /HF_HUB_DISABLE_XET=1/);
    // create_pr is supported now (docs/discussions.md); a pull request that does not exist is a missing revision.
    await expectError(await api(`${hub.url}/api/models/alice/target/preupload/refs%2Fpr%2F7`, t.alice, { method: 'POST', body: JSON.stringify({ files: [] }) }), 404, 'RevisionNotFound');
    await unchanged();
  });
});
