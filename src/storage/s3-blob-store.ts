import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { HubError } from '../core/errors.js';
import { log } from '../core/log.js';
import { SHA256_RE } from '../core/revision.js';
import type { BlobStore, ByteRange } from './blob-store.js';
import { S3MultipartUpload, storageError } from './s3-multipart.js';

const MiB = 1024 * 1024;
/** S3's smallest part size (every part but the last). */
const MIN_PART_SIZE = 5 * MiB;
/** S3's largest part number. */
const MAX_PARTS = 10_000;
/** The AWS CLI's default part size: few requests, and little memory per upload. */
export const DEFAULT_PART_SIZE = 8 * MiB;
/** Parts sent at once by one upload: memory per upload is about (this + 1) × part size. */
export const DEFAULT_PARTS_IN_FLIGHT = 4;
/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Where the bucket is and how to reach it (see `s3ClientFor`). */
export interface S3Settings {
  /** An S3-compatible server (MinIO, Ceph RGW, an emulator); undefined for AWS S3. */
  endpoint: string | undefined;
  bucket: string;
  region: string;
  /** Static credentials; undefined uses the AWS SDK's default chain (environment, profile, instance role). */
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  /** Key prefix: '' or ending in '/'. */
  prefix: string;
  forcePathStyle: boolean;
  /** Redirect `resolve` downloads to presigned URLs (true), or stream them through the hub. */
  presign: boolean;
}

/** An S3 client for the blob store. */
export function s3ClientFor(s: Pick<S3Settings, 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey' | 'forcePathStyle'>): S3Client {
  return new S3Client({
    region: s.region,
    endpoint: s.endpoint,
    forcePathStyle: s.forcePathStyle,
    credentials: s.accessKeyId && s.secretAccessKey ? { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } : undefined,
    // The SDK's default adds CRC32 checksums sent as aws-chunked trailers to every upload. Several
    // S3-compatible servers (s3rver, older MinIO and Ceph RGW) do not understand those and hang or
    // refuse; the store checks the sha256 itself, so checksums are sent only when an operation needs one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: 10_000,
      // The SDK's default of 50 sockets would queue the 51st download streamed through the hub
      // (presigning off) behind slow clients holding the others.
      httpAgent: { keepAlive: true, maxSockets: 512 },
      httpsAgent: { keepAlive: true, maxSockets: 512 },
    },
  });
}

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key: '' or ending in '/'. */
  prefix?: string;
  /** Redirect downloads to presigned URLs (default true). */
  presign?: boolean;
  /** Where presigned URLs point, as a CSP source (see `BlobStore.downloadSource`). */
  downloadSource?: string;
  /** Multipart part size in bytes (at least 5 MiB); larger when an object would need more than 10,000 parts. */
  partSize?: number;
  partsInFlight?: number;
}

/**
 * Blob store on an S3-compatible bucket (AWS S3, MinIO, Ceph RGW), keyed
 * `<prefix>ab/cd/<sha256>` like the filesystem store's `objects/` folder, so
 * that one can be copied onto the other as is.
 *
 * An object becomes visible only once its bytes are verified: `put` hashes
 * the source while it streams it into a multipart upload on the object's own
 * key, and completes the upload only after the last byte has been counted and
 * hashed; on a mismatch or a failing source it aborts the upload, which
 * leaves nothing behind. Multipart parts are invisible until completion, so
 * this needs neither a temporary key nor a copy: a copy would read and
 * write every byte once more inside the storage, and single CopyObject
 * stops at 5 GiB. Objects that fit in one part are sent with one PutObject
 * after verification. Concurrent puts of one oid each complete the same
 * verified bytes; the last one wins, which changes nothing.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly presign: boolean;
  readonly downloadSource: string | undefined;
  private readonly partSize: number;
  private readonly partsInFlight: number;

  constructor(opts: S3BlobStoreOptions) {
    this.client = opts.client;
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
    if (this.prefix !== '' && (!this.prefix.endsWith('/') || this.prefix.startsWith('/'))) throw new Error(`S3 key prefix must be empty or end with "/" and not start with one, got ${JSON.stringify(this.prefix)}`);
    this.presign = opts.presign ?? true;
    this.downloadSource = this.presign ? opts.downloadSource : undefined;
    this.partSize = opts.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isSafeInteger(this.partSize) || this.partSize < MIN_PART_SIZE) throw new Error(`S3 part size must be at least ${MIN_PART_SIZE} bytes`);
    this.partsInFlight = Math.max(1, opts.partsInFlight ?? DEFAULT_PARTS_IN_FLIGHT);
  }

  /**
   * Checks that the bucket answers (a clear start-up error instead of a
   * failure at the first upload), then aborts multipart uploads under the
   * prefix that a crash left more than a day ago; younger ones may belong to
   * another hub process still receiving them.
   */
  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const why = status === 404 ? 'does not exist' : status === 403 ? 'refuses these credentials (403)' : status ? `answered HTTP ${status}` : `could not be reached (${(err as Error).message})`;
      throw new Error(`S3 bucket ${JSON.stringify(this.bucket)} ${why}`);
    }
    await this.abortStaleUploads(24 * 3600 * 1000).catch((err: unknown) => {
      // Some S3-compatible servers do not list uploads; a bucket lifecycle rule covers them (docs/storage.md).
      log.warn('could not list abandoned multipart uploads', { bucket: this.bucket, error: (err as Error).message });
    });
  }

  /** Aborts the multipart uploads under the prefix that started more than `olderThanMs` ago; returns how many. */
  async abortStaleUploads(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId || (u.Initiated && u.Initiated.getTime() > cutoff)) continue;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
        aborted++;
      }
      if (!page.IsTruncated) return aborted;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  /** The object's key; refuses anything but a sha256, so that no caller can reach other keys. */
  key(oid: string): string {
    if (!SHA256_RE.test(oid)) throw new HubError('BadRequest', `Invalid LFS object id ${JSON.stringify(oid)}`);
    return `${this.prefix}${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`;
  }

  async stat(oid: string): Promise<{ size: number } | undefined> {
    const Key = this.key(oid);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return { size: head.ContentLength ?? 0 };
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw storageError(err, `HeadObject ${Key}`);
    }
  }

  async put(oid: string, size: number, source: AsyncIterable<Uint8Array> | Readable): Promise<void> {
    const Key = this.key(oid);
    if (!Number.isSafeInteger(size) || size < 0) throw new HubError('BadRequest', 'Invalid object size');
    const partSize = Math.max(this.partSize, Math.ceil(size / MAX_PARTS / MiB) * MiB);
    const hash = createHash('sha256');
    // Bytes are gathered into part buffers no larger than what is still announced, so a small
    // object never costs a whole part of memory. A full part is sent only once more bytes
    // arrive: the last part waits until the hash has been checked.
    let part = Buffer.allocUnsafe(Math.min(partSize, size));
    let filled = 0;
    let placed = 0;
    let upload: S3MultipartUpload | undefined;
    try {
      for await (const chunk of source) {
        if (placed + chunk.length > size) throw new HubError('UnprocessableEntity', `Object ${oid} is larger than the announced ${size} bytes`);
        hash.update(chunk);
        let at = 0;
        while (at < chunk.length) {
          if (filled === part.length) {
            upload ??= await S3MultipartUpload.start(this.client, this.bucket, Key, this.partsInFlight);
            await upload.send(part);
            part = Buffer.allocUnsafe(Math.min(partSize, size - placed));
            filled = 0;
          }
          const n = Math.min(part.length - filled, chunk.length - at);
          part.set(chunk.subarray(at, at + n), filled);
          filled += n;
          at += n;
          placed += n;
        }
      }
      if (placed !== size) throw new HubError('UnprocessableEntity', `Object ${oid} has ${placed} bytes, ${size} were announced`);
      const sha256 = hash.digest('hex');
      if (sha256 !== oid) throw new HubError('UnprocessableEntity', `Object content does not match its sha256: expected ${oid}, got ${sha256}`);
      // Verified: from here on the object may become visible.
      if (upload) {
        await upload.send(part);
        await upload.complete();
      } else {
        try {
          await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: part, ContentLength: size, ContentType: 'application/octet-stream' }));
        } catch (err) {
          throw storageError(err, `PutObject ${Key}`);
        }
      }
    } catch (err) {
      await upload?.abort();
      throw err;
    }
  }

  async read(oid: string, range?: ByteRange): Promise<Readable> {
    const Key = this.key(oid);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }));
      // In Node the body is the response stream itself (an IncomingMessage).
      return res.Body as Readable;
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'NoSuchKey') throw new HubError('EntryNotFound', `LFS object ${oid} is not stored`);
      if (name === 'InvalidRange') throw new HubError('RangeNotSatisfiable', `Range ${range?.start}-${range?.end} is outside LFS object ${oid}`);
      throw storageError(err, `GetObject ${Key}`);
    }
  }

  // No `openReader`: positional reads would cost one ranged GET each, where a
  // stream costs one request per download.

  async delete(oid: string): Promise<void> {
    const Key = this.key(oid);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (err) {
      throw storageError(err, `DeleteObject ${Key}`);
    }
  }

  /**
   * A presigned GET of the object (signed locally, no request), valid for
   * `expiresInSeconds` (at most 7 days, and no longer than temporary
   * credentials). With a filename, the storage answers with the same
   * `Content-Disposition` as the hub would. Undefined when presigning is off.
   */
  async presignedGetUrl(oid: string, opts: { expiresInSeconds: number; filename?: string }): Promise<string | undefined> {
    if (!this.presign) return undefined;
    const Key = this.key(oid);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key,
      ...(opts.filename ? { ResponseContentDisposition: inlineDisposition(opts.filename) } : {}),
    });
    try {
      return await getSignedUrl(this.client, command, { expiresIn: Math.min(Math.max(1, Math.floor(opts.expiresInSeconds)), MAX_PRESIGN_SECONDS) });
    } catch (err) {
      throw storageError(err, `presigning GetObject ${Key}`);
    }
  }
}

/** `inline` with the file's base name, in both the RFC 6266 and the ASCII form (as `serveFile` sends it). */
function inlineDisposition(filePath: string): string {
  const name = filePath.slice(filePath.lastIndexOf('/') + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename*=UTF-8''${encodeURIComponent(name)}; filename="${ascii}";`;
}
