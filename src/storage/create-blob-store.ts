import path from 'node:path';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import type { S3Settings } from './s3-blob-store.js';

/** The part of the hub's config that picks and opens the blob store. */
export interface BlobStoreSettings {
  dataDir: string;
  /** Hashing worker threads of the filesystem store. */
  uploadWorkers: number;
  /** S3-compatible object storage; undefined keeps LFS objects in `<dataDir>/lfs`. */
  s3: S3Settings | undefined;
}

/**
 * Opens the configured blob store, ready to use: the filesystem store under
 * the data folder by default, or the S3 store when a bucket is configured
 * (docs/storage.md). Throws with a clear message when the bucket cannot be
 * used, so that a misconfigured hub stops at start-up.
 */
/**
 * The origin presigned URLs of this bucket have, as a CSP source: the endpoint itself with path-style
 * URLs, any bucket host under it with virtual-hosted ones, and AWS's hosts without an endpoint.
 */
export function presignedSource(s3: S3Settings): string {
  if (!s3.endpoint) return 'https://*.amazonaws.com';
  const url = new URL(s3.endpoint);
  return s3.forcePathStyle ? url.origin : `${url.protocol}//*.${url.host}`;
}

export async function createBlobStore(settings: BlobStoreSettings): Promise<BlobStore> {
  if (!settings.s3) {
    const store = new FsBlobStore(path.join(settings.dataDir, 'lfs'), { hashWorkers: settings.uploadWorkers });
    await store.init();
    return store;
  }
  // Loaded only when used: the AWS SDK adds a noticeable start-up time to every hub otherwise.
  const { S3BlobStore, s3ClientFor } = await import('./s3-blob-store.js');
  const s3 = settings.s3;
  const store = new S3BlobStore({ client: s3ClientFor(s3), bucket: s3.bucket, prefix: s3.prefix, presign: s3.presign, downloadSource: presignedSource(s3) });
  await store.init();
  return store;
}
