/**
 * The S3 blob store against s3rver, an S3 **emulator** started on loopback by
 * this file (see test/helpers/s3-emulator.ts for what it does not check, and
 * docs/storage.md for why no real S3-compatible server runs here).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { HubError } from '../../src/core/errors.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { S3BlobStore, s3ClientFor } from '../../src/storage/s3-blob-store.js';
import { startS3Emulator, type S3Emulator } from '../helpers/s3-emulator.js';
import { blobStoreContract } from './blob-store-contract.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let s3: S3Emulator;
before(async () => {
  s3 = await startS3Emulator();
});
after(async () => {
  await s3.close();
});

let stores = 0;
/** Each store gets its own prefix, so that leftovers are counted per store. */
const prefixes = new WeakMap<BlobStore, string>();
function s3Store(opts: { partSize?: number; presign?: boolean; prefix?: string } = {}): S3BlobStore {
  const prefix = opts.prefix ?? `t${++stores}/`;
  const store = new S3BlobStore({ client: s3.client, bucket: s3.bucket, prefix, partSize: opts.partSize, presign: opts.presign });
  prefixes.set(store, prefix);
  return store;
}
/** Pending multipart uploads, and keys under the prefix that are not a sha256 object key. */
async function leftovers(store: BlobStore): Promise<string[]> {
  const prefix = prefixes.get(store)!;
  const strays = (await s3.objectKeys(prefix)).filter((k) => !/^([0-9a-f]{2})\/([0-9a-f]{2})\/\1\2[0-9a-f]{60}$/.test(k.slice(prefix.length)));
  return [...(await s3.pendingUploads(prefix)), ...strays];
}

blobStoreContract('S3 (s3rver emulator), 8 MiB parts', async () => s3Store(), { leftovers });
blobStoreContract('S3 (s3rver emulator), 5 MiB parts, no prefix', async () => s3Store({ partSize: 5 * 1024 * 1024, prefix: '' }), {
  // The one store without a prefix shares the bucket root with the others' prefixes: count only its own keys.
  leftovers: async () => [...(await s3.pendingUploads('')), ...(await s3.objectKeys('')).filter((k) => !/^t\d+\//.test(k) && !/^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(k))],
});

const calls = (from: number, prefix: string): string[] =>
  s3.requests.slice(from).filter((r) => r.path.includes(`/${prefix}`)).map((r) => {
    const q = r.query;
    if (r.method === 'POST' && q.includes('uploads')) return 'CreateMultipartUpload';
    if (r.method === 'PUT' && q.includes('partNumber')) return 'UploadPart';
    if (r.method === 'POST' && q.includes('uploadId')) return 'CompleteMultipartUpload';
    if (r.method === 'DELETE' && q.includes('uploadId')) return 'AbortMultipartUpload';
    return `${r.method === 'PUT' ? 'PutObject' : r.method}`;
  });

describe('S3 store: what goes over the wire', () => {
  test('a large object goes up in parts and becomes visible only with the completion, after the last part', async () => {
    const store = s3Store({ partSize: 5 * 1024 * 1024 });
    const data = randomBytes(23 * 1024 * 1024);
    const from = s3.requests.length;
    await store.put(sha(data), data.length, Readable.from([data]));
    const seen = calls(from, prefixes.get(store)!);
    assert.deepEqual(seen, ['CreateMultipartUpload', 'UploadPart', 'UploadPart', 'UploadPart', 'UploadPart', 'UploadPart', 'CompleteMultipartUpload']);
    assert.deepEqual(await s3.objectKeys(prefixes.get(store)), [`${prefixes.get(store)}${sha(data).slice(0, 2)}/${sha(data).slice(2, 4)}/${sha(data)}`]);
  });

  test('a wrong large object is aborted before completion: its last part is never sent', async () => {
    const store = s3Store({ partSize: 5 * 1024 * 1024 });
    const data = randomBytes(12 * 1024 * 1024);
    const from = s3.requests.length;
    await assert.rejects(store.put(sha(randomBytes(4)), data.length, Readable.from([data])), (e: unknown) => e instanceof HubError && e.code === 'UnprocessableEntity');
    assert.deepEqual(calls(from, prefixes.get(store)!), ['CreateMultipartUpload', 'UploadPart', 'UploadPart', 'AbortMultipartUpload']);
    assert.deepEqual(await leftovers(store), []);
  });

  test('a small object is one PutObject after verification; a wrong one sends nothing', async () => {
    const store = s3Store();
    const data = randomBytes(70_000);
    let from = s3.requests.length;
    await assert.rejects(store.put(sha(randomBytes(4)), data.length, Readable.from([data])));
    assert.deepEqual(calls(from, prefixes.get(store)!), []);
    from = s3.requests.length;
    await store.put(sha(data), data.length, Readable.from([data]));
    assert.deepEqual(calls(from, prefixes.get(store)!), ['PutObject']);
  });

  test('an upload a crashed process left behind is aborted by abortStaleUploads; younger ones are kept', async () => {
    const store = s3Store();
    const key = store.key(sha(Buffer.from('crash')));
    const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: key }));
    await s3.client.send(new UploadPartCommand({ Bucket: s3.bucket, Key: key, UploadId, PartNumber: 1, Body: randomBytes(1000) }));
    assert.equal(await store.abortStaleUploads(3_600_000), 0);
    assert.equal((await leftovers(store)).length, 1);
    assert.equal(await store.abortStaleUploads(0), 1);
    assert.deepEqual(await leftovers(store), []);
  });
});

describe('S3 store: presigned URLs', () => {
  test('absolute, expiring, serving the bytes with ranges and the file name', async () => {
    const store = s3Store();
    const data = randomBytes(9 * 1024 * 1024 + 7);
    const oid = sha(data);
    await store.put(oid, data.length, Readable.from([data]));
    const url = await store.presignedGetUrl(oid, { expiresInSeconds: 120, filename: 'weights/modèle "v1".bin' });
    assert.ok(url);
    const u = new URL(url);
    assert.equal(u.origin, s3.endpoint);
    assert.equal(u.searchParams.get('X-Amz-Expires'), '120');
    assert.ok(u.searchParams.get('X-Amz-Signature'));
    const whole = await fetch(url);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-disposition'), `inline; filename*=UTF-8''mod%C3%A8le%20%22v1%22.bin; filename="mod_le _v1_.bin";`);
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(data));
    const ranged = await fetch(url, { headers: { range: 'bytes=0-0' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 0-0/${data.length}`);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), data.subarray(0, 1));
    const tail = await fetch(url, { headers: { range: `bytes=${data.length - 10}-` } });
    assert.ok(Buffer.from(await tail.arrayBuffer()).equals(data.subarray(data.length - 10)));
  });

  test('expiry is capped at SigV4\'s 7 days; with presigning off there is no URL', async () => {
    const oid = sha(Buffer.from('x'));
    const url = await s3Store().presignedGetUrl(oid, { expiresInSeconds: 30 * 24 * 3600 });
    assert.equal(new URL(url!).searchParams.get('X-Amz-Expires'), String(7 * 24 * 3600));
    assert.equal(await s3Store({ presign: false }).presignedGetUrl(oid, { expiresInSeconds: 60 }), undefined);
  });
});

describe('S3 store: failures', () => {
  test('a missing bucket stops init with a message that names it', async () => {
    const store = new S3BlobStore({ client: s3.client, bucket: 'no-such-bucket' });
    await assert.rejects(store.init(), /S3 bucket "no-such-bucket" does not exist/);
  });

  test('unreachable storage: init names the bucket, reads and writes fail with 504 UpstreamUnavailable and no stack to the client', async () => {
    // A port that was just free: nothing listens there.
    const { createServer } = await import('node:net');
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const client = s3ClientFor({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', accessKeyId: 'x', secretAccessKey: 'y', forcePathStyle: true });
    const store = new S3BlobStore({ client, bucket: s3.bucket });
    const oid = sha(Buffer.from('x'));
    const unreachable = (e: unknown): boolean => e instanceof HubError && e.code === 'UpstreamUnavailable' && !e.message.includes(s3.bucket);
    await assert.rejects(store.init(), /S3 bucket "orchard-test" could not be reached/);
    await assert.rejects(store.stat(oid), unreachable);
    await assert.rejects(store.read(oid), unreachable);
    await assert.rejects(store.put(oid, 1, Readable.from([Buffer.from('x')])), unreachable);
    client.destroy();
  });

  test('reading a range past the end is RangeNotSatisfiable; a missing object is EntryNotFound', async () => {
    const store = s3Store();
    const data = randomBytes(100);
    await store.put(sha(data), data.length, Readable.from([data]));
    await assert.rejects(store.read(sha(data), { start: 100, end: 120 }), (e: unknown) => e instanceof HubError && e.code === 'RangeNotSatisfiable');
    await assert.rejects(store.read(sha(randomBytes(3))), (e: unknown) => e instanceof HubError && e.code === 'EntryNotFound');
  });

  test('bad options are refused when the store is built', () => {
    assert.throws(() => new S3BlobStore({ client: s3.client, bucket: s3.bucket, prefix: 'no-slash' }), /prefix/);
    assert.throws(() => new S3BlobStore({ client: s3.client, bucket: s3.bucket, partSize: 1024 }), /part size/);
  });
});
