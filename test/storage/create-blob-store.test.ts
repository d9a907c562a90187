/** Choosing the blob store from the configuration, and the start-up errors of a bad S3 configuration. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { createBlobStore } from '../../src/storage/create-blob-store.js';
import { startS3Emulator, type S3Emulator } from '../helpers/s3-emulator.js';

const configError = (env: Record<string, string>): string => {
  try {
    loadConfig({}, env);
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be refused`);
};

describe('S3 configuration', () => {
  test('without a bucket, LFS objects stay in the data folder', () => {
    assert.equal(loadConfig({}, {}).s3, undefined);
  });

  test('defaults: prefix lfs/, path style and us-east-1 with an endpoint, presigning on, the SDK credential chain without keys', () => {
    assert.deepEqual(loadConfig({}, { ORCHARD_S3_BUCKET: 'models', ORCHARD_S3_ENDPOINT: 'http://minio:9000/' }).s3, {
      endpoint: 'http://minio:9000',
      bucket: 'models',
      region: 'us-east-1',
      accessKeyId: undefined,
      secretAccessKey: undefined,
      prefix: 'lfs/',
      forcePathStyle: true,
      presign: true,
    });
    // AWS itself: virtual-hosted URLs, the region from AWS_REGION.
    const aws = loadConfig({}, { ORCHARD_S3_BUCKET: 'models', AWS_REGION: 'eu-west-3', ORCHARD_S3_PREFIX: '/hub/objects', ORCHARD_S3_PRESIGN: 'false' }).s3!;
    assert.equal(aws.forcePathStyle, false);
    assert.equal(aws.region, 'eu-west-3');
    assert.equal(aws.prefix, 'hub/objects/');
    assert.equal(aws.presign, false);
    assert.equal(loadConfig({}, { ORCHARD_S3_BUCKET: 'models', ORCHARD_S3_REGION: 'us-west-2', ORCHARD_S3_PREFIX: '' }).s3!.prefix, '');
  });

  test('every problem is listed at once, and secrets are never echoed', () => {
    const message = configError({
      ORCHARD_S3_BUCKET: 'Bad_Bucket',
      ORCHARD_S3_ENDPOINT: 'minio:9000',
      ORCHARD_S3_ACCESS_KEY_ID: 'AKIA',
      ORCHARD_S3_FORCE_PATH_STYLE: 'maybe',
      ORCHARD_S3_PRESIGN: '2',
      ORCHARD_S3_PREFIX: 'a/../b',
    });
    for (const name of ['ORCHARD_S3_BUCKET', 'ORCHARD_S3_ENDPOINT', 'ORCHARD_S3_ACCESS_KEY_ID and ORCHARD_S3_SECRET_ACCESS_KEY', 'ORCHARD_S3_FORCE_PATH_STYLE', 'ORCHARD_S3_PRESIGN', 'ORCHARD_S3_PREFIX']) {
      assert.ok(message.includes(name), `${name} in ${message}`);
    }
    assert.ok(!configError({ ORCHARD_S3_BUCKET: 'models', ORCHARD_S3_REGION: 'x', ORCHARD_S3_SECRET_ACCESS_KEY: 'very-secret' }).includes('very-secret'));
    // AWS S3 (no endpoint) cannot guess the bucket's region.
    assert.match(configError({ ORCHARD_S3_BUCKET: 'models' }), /ORCHARD_S3_REGION \(or AWS_REGION\)/);
  });

  test('S3 settings without a bucket are a mistake, not silently ignored', () => {
    assert.match(configError({ ORCHARD_S3_ENDPOINT: 'http://minio:9000' }), /ORCHARD_S3_ENDPOINT set, but ORCHARD_S3_BUCKET is not/);
  });
});

describe('createBlobStore', () => {
  let s3: S3Emulator;
  let dataDir: string;
  before(async () => {
    s3 = await startS3Emulator();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-factory-'));
  });
  after(async () => {
    await s3.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('the filesystem store under <data>/lfs by default', async () => {
    const store = await createBlobStore(loadConfig({ data: dataDir }, {}));
    assert.equal(store.kind, 'filesystem');
    assert.ok((await stat(path.join(dataDir, 'lfs', 'objects'))).isDirectory());
  });

  test('the S3 store when a bucket is configured, keys under the prefix', async () => {
    const store = await createBlobStore(loadConfig({ data: dataDir }, { ...s3.env, ORCHARD_S3_PREFIX: 'factory' }));
    assert.equal(store.kind, 's3');
    const data = Buffer.from('hello from the factory');
    const { createHash } = await import('node:crypto');
    const oid = createHash('sha256').update(data).digest('hex');
    await store.put(oid, data.length, Readable.from([data]));
    assert.deepEqual(await s3.objectKeys('factory/'), [`factory/${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`]);
    assert.ok(new URL((await store.presignedGetUrl!(oid, { expiresInSeconds: 60 }))!).href.startsWith(`${s3.endpoint}/${s3.bucket}/factory/`));
  });

  test('a bucket that does not exist stops start-up with its name', async () => {
    await assert.rejects(createBlobStore(loadConfig({ data: dataDir }, { ...s3.env, ORCHARD_S3_BUCKET: 'missing-bucket' })), /S3 bucket "missing-bucket" does not exist/);
  });
});
