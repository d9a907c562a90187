/**
 * An S3-compatible server for tests and benchmarks: **s3rver, an emulator**
 * (npm, dev dependency). MinIO and Ceph RGW cannot be installed on the
 * machines this project is built on (docs/storage.md), so the S3 store is
 * tested against this instead. It serves the real wire protocol on loopback
 * (REST + XML, path-style URLs, ranged GETs, multipart uploads, presigned
 * query strings), with these known differences from S3:
 *
 * - it does not check SigV4 signatures (a tampered presigned URL still works);
 * - it reads a range ending at byte 0 as "to the end" and gets suffix ranges
 *   (`bytes=-n`) wrong; the first is corrected below (JS's `bytes=0-0` probe),
 *   the store never sends the second;
 * - s3rver 3.7 lacks AbortMultipartUpload and ListMultipartUploads. This
 *   helper adds both to the emulator (`uploadExtensions`), on s3rver's own
 *   folder of pending uploads, following the S3 API reference, so that the
 *   tests can check that refused uploads leave no parts behind.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, ListMultipartUploadsCommand, PutBucketCorsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import S3rver, { type KoaContext } from 's3rver';
import { s3ClientFor } from '../../src/storage/s3-blob-store.js';

/** s3rver's credentials (it accepts any signature made with them). */
export const S3RVER_KEY = 'S3RVER';

/** One request as the emulator received it, to check which storage calls a client made. */
export interface SeenRequest {
  method: string;
  path: string;
  /** Names of the query parameters (`uploadId`, `partNumber`, `X-Amz-Signature`, …). */
  query: string[];
  range: string | undefined;
  authorization: boolean;
}

export interface S3Emulator {
  endpoint: string;
  bucket: string;
  client: S3Client;
  /** `ORCHARD_S3_*` for a hub on this bucket. */
  env: Record<string, string>;
  requests: SeenRequest[];
  /** Multipart uploads not completed nor aborted, through ListMultipartUploads. */
  pendingUploads(prefix?: string): Promise<string[]>;
  /** Object keys, through ListObjectsV2. */
  objectKeys(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function xmlError(ctx: KoaContext, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`;
}

/** AbortMultipartUpload and ListMultipartUploads, which s3rver 3.7 answers with 405 and 501. */
function uploadExtensions(directory: string): (ctx: KoaContext, next: () => Promise<void>) => Promise<void> {
  return async (ctx, next) => {
    const [, bucket, ...keyParts] = ctx.path.split('/');
    const uploadsDir = path.join(directory, bucket ?? '', '._S3rver_uploads');
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : undefined;
    if (ctx.method === 'DELETE' && uploadId !== undefined && keyParts.length) {
      const dir = path.join(uploadsDir, uploadId);
      if (!/^[0-9a-f]+$/.test(uploadId) || !(await stat(dir).catch(() => undefined))) {
        xmlError(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');
        return;
      }
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = '';
      return;
    }
    if (ctx.method === 'GET' && 'uploads' in ctx.query && keyParts.filter(Boolean).length === 0) {
      const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const uploads: string[] = [];
      for (const id of (await readdir(uploadsDir).catch(() => [])).sort()) {
        const key = await readFile(path.join(uploadsDir, id, 'key'), 'utf8').catch(() => undefined);
        if (key === undefined || !key.startsWith(prefix)) continue;
        const initiated = (await stat(path.join(uploadsDir, id, 'key'))).mtime.toISOString();
        uploads.push(`<Upload><Key>${xml(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`);
      }
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Bucket>${xml(bucket ?? '')}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>${xml(prefix)}</Prefix>` +
        `<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`;
      return;
    }
    await next();
    // s3rver reads an end of 0 as "to the end": `bytes=0-0` (JS's size probe, spec 2.1) would
    // return everything. Cut the answer to the one byte S3 sends.
    if (ctx.method === 'GET' && ctx.status === 206 && /^bytes=0-0$/.test(String(ctx.headers.range)) && ctx.body instanceof Readable) {
      const whole = ctx.body;
      const total = /\/(\d+)$/.exec(String(ctx.response.get('content-range')))?.[1] ?? '*';
      ctx.body = Readable.from((async function* () {
        for await (const chunk of whole) {
          yield (chunk as Buffer).subarray(0, 1);
          break;
        }
      })());
      ctx.response.set('content-range', `bytes 0-0/${total}`);
      ctx.response.set('content-length', '1');
    }
  };
}

/** Starts s3rver on an ephemeral loopback port with a fresh folder and one bucket. */
export async function startS3Emulator(opts: { bucket?: string } = {}): Promise<S3Emulator> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'orchard-s3rver-'));
  const bucket = opts.bucket ?? 'orchard-test';
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true });
  const requests: SeenRequest[] = [];
  server.middleware.unshift(uploadExtensions(directory));
  server.middleware.unshift(async (ctx, next) => {
    const range = ctx.headers.range;
    requests.push({ method: ctx.method, path: ctx.path, query: Object.keys(ctx.query), range: typeof range === 'string' ? range : undefined, authorization: ctx.headers.authorization !== undefined });
    await next();
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = s3ClientFor({ endpoint, region: 'us-east-1', accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY, forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  // The CORS rule docs/storage.md asks operators to set, so that pages (transformers.js, the hub's own UI)
  // can follow resolve's redirect to the bucket.
  await client.send(new PutBucketCorsCommand({
    Bucket: bucket,
    CORSConfiguration: {
      CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['Range'], ExposeHeaders: ['Content-Range', 'Content-Length', 'ETag'], MaxAgeSeconds: 3600 }],
    },
  }));
  return {
    endpoint,
    bucket,
    client,
    env: {
      ORCHARD_S3_ENDPOINT: endpoint,
      ORCHARD_S3_BUCKET: bucket,
      ORCHARD_S3_ACCESS_KEY_ID: S3RVER_KEY,
      ORCHARD_S3_SECRET_ACCESS_KEY: S3RVER_KEY,
    },
    requests,
    async pendingUploads(prefix = '') {
      const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
      return (res.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
    },
    async objectKeys(prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(res.Contents ?? []).map((o) => o.Key!));
        token = res.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
