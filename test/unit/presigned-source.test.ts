import assert from 'node:assert/strict';
import { test } from 'node:test';
import { presignedSource } from '../../src/storage/create-blob-store.js';
import type { S3Settings } from '../../src/storage/s3-blob-store.js';

const settings = (over: Partial<S3Settings>): S3Settings => ({
  bucket: 'hub-lfs', endpoint: undefined, region: 'eu-west-1', accessKeyId: undefined, secretAccessKey: undefined,
  prefix: 'lfs/', forcePathStyle: false, presign: true, ...over,
});

test('the CSP source of presigned URLs follows the endpoint and the URL style', () => {
  assert.equal(presignedSource(settings({})), 'https://*.amazonaws.com');
  assert.equal(presignedSource(settings({ endpoint: 'http://minio.internal:9000', forcePathStyle: true })), 'http://minio.internal:9000');
  assert.equal(presignedSource(settings({ endpoint: 'https://rgw.example.org', forcePathStyle: false })), 'https://*.rgw.example.org');
});
