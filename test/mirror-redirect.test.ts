/**
 * A pull-through cache of an upstream that does not serve LFS bytes itself but redirects `resolve` to
 * its storage, as the public hub redirects to its CDN: here A keeps its objects in an S3 bucket (the
 * s3rver emulator) and answers 302 to presigned URLs; B mirrors A.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { downloadFile } from '@huggingface/hub';
import { api, commitVia, createRepoVia, fileOp, headOf, lfsOp, primaryPassOnly, sha256, startTestHub, uploadLfs, type TestHub } from './helpers/hub.js';
import { startS3Emulator, type S3Emulator } from './helpers/s3-emulator.js';

describe('pull-through cache of an upstream that redirects downloads to its storage', { skip: primaryPassOnly }, () => {
  let s3: S3Emulator;
  let a: TestHub;
  let b: TestHub;
  const weights = randomBytes(2 * 1024 * 1024 + 5);
  const oid = sha256(weights);
  const fromBucket = (): number => s3.requests.filter((r) => r.method === 'GET' && r.path.endsWith(oid)).length;

  before(async () => {
    s3 = await startS3Emulator();
    a = await startTestHub({ env: s3.env });
    assert.equal((await createRepoVia(a, a.tokens.alice, 'cdn')).status, 200);
    await uploadLfs(a, a.tokens.alice, 'alice/cdn', weights);
    const r = await commitVia(a, a.tokens.alice, 'alice/cdn', [fileOp('config.json', '{}'), lfsOp('weights.bin', { oid, size: weights.length })]);
    assert.equal(r.status, 200, await r.clone().text());
    b = await startTestHub({ env: { ORCHARD_UPSTREAM_URL: a.url, ORCHARD_UPSTREAM_TOKEN: a.tokens.alice, ORCHARD_UPSTREAM_TIMEOUT_MS: '5000' } });
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await s3?.close();
  });

  test('A redirects its LFS downloads to the bucket', async () => {
    const r = await api(`${a.url}/alice/cdn/resolve/main/weights.bin`, undefined, { method: 'HEAD', redirect: 'manual' });
    assert.equal(r.status, 302);
    assert.equal(new URL(r.headers.get('location')!).origin, s3.endpoint);
  });

  test('B answers with the headers of A\'s redirect and serves the bytes itself, fetched once from the bucket without its token', async () => {
    const upstream = await api(`${a.url}/alice/cdn/resolve/main/weights.bin`, undefined, { method: 'HEAD', redirect: 'manual' });
    const head = await api(`${b.url}/alice/cdn/resolve/main/weights.bin`, undefined, { method: 'HEAD', redirect: 'manual' });
    assert.equal(head.status, 200);
    for (const h of ['x-repo-commit', 'x-linked-etag', 'x-linked-size', 'etag']) assert.equal(head.headers.get(h), upstream.headers.get(h), h);
    assert.equal(head.headers.get('content-length'), String(weights.length));
    assert.equal(head.headers.get('x-repo-commit'), await headOf(a, undefined, 'alice/cdn'));

    const before = fromBucket();
    const got = await api(`${b.url}/alice/cdn/resolve/main/weights.bin`, undefined, { redirect: 'manual' });
    assert.equal(got.status, 200, 'B does not pass the redirect on: the bytes are cached here');
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(weights));
    const seen = s3.requests.filter((r) => r.method === 'GET' && r.path.endsWith(oid)).slice(before);
    assert.equal(seen.length, 1, 'one transfer from the bucket');
    assert.equal(seen[0]!.authorization, false, 'the upstream token is not sent to the storage');
    assert.ok(seen[0]!.query.includes('X-Amz-Signature'), 'the presigned URL A handed out');
  });

  test('cached: the npm client and a ranged read get the bytes with no new request to the bucket', async () => {
    const before = fromBucket();
    const blob = await downloadFile({ hubUrl: b.url, repo: 'alice/cdn', path: 'weights.bin' });
    assert.ok(blob);
    assert.ok(Buffer.from(await blob.arrayBuffer()).equals(weights));
    const part = await api(`${b.url}/alice/cdn/resolve/main/weights.bin`, undefined, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(weights.subarray(10, 20)));
    assert.equal(fromBucket(), before);
  });
});
