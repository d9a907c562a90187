import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { HubError } from '../core/errors.js';
import { log } from '../core/log.js';

/**
 * A storage failure as a HubError: 504 when the storage could not be reached,
 * 502 when it answered with an error. Logged here, since the error edge does
 * not log HubErrors and the client's message names no bucket or key.
 */
export function storageError(err: unknown, what: string): HubError {
  if (err instanceof HubError) return err;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = (err as Error).name ?? 'Error';
  log.error('object storage request failed', err, { operation: what, status });
  return status === undefined
    ? new HubError('UpstreamUnavailable', 'Object storage could not be reached')
    : new HubError('BadGateway', `Object storage answered ${name} (HTTP ${status})`);
}

/**
 * One multipart upload, with at most `maxInFlight` parts being sent at once.
 *
 * Written against the low-level commands rather than `@aws-sdk/lib-storage`'s
 * `Upload`, which completes the upload as soon as the source ends: the blob
 * store must check the sha256 between the last byte and the completion.
 */
export class S3MultipartUpload {
  private readonly parts: CompletedPart[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: HubError | undefined;
  private next = 1;

  private constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly uploadId: string,
    private readonly maxInFlight: number,
  ) {}

  static async start(client: S3Client, bucket: string, key: string, maxInFlight: number): Promise<S3MultipartUpload> {
    try {
      const res = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/octet-stream' }));
      if (!res.UploadId) throw new Error('CreateMultipartUpload answered without an UploadId');
      return new S3MultipartUpload(client, bucket, key, res.UploadId, maxInFlight);
    } catch (err) {
      throw storageError(err, `CreateMultipartUpload ${key}`);
    }
  }

  /** Starts sending the next part; waits while `maxInFlight` parts are on their way. The buffer must not be reused. */
  async send(body: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    const PartNumber = this.next++;
    const sending: Promise<void> = this.client
      .send(new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body: body, ContentLength: body.length }))
      .then(
        (res) => void this.parts.push({ PartNumber, ETag: res.ETag }),
        (err: unknown) => void (this.failure ??= storageError(err, `UploadPart ${PartNumber} of ${this.key}`)),
      )
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }

  /** Waits for every part, then makes the object visible. */
  async complete(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    const Parts = [...this.parts].sort((a, b) => a.PartNumber! - b.PartNumber!);
    try {
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, MultipartUpload: { Parts } }));
    } catch (err) {
      throw storageError(err, `CompleteMultipartUpload ${this.key}`);
    }
  }

  /**
   * Waits for the parts still on their way (a part that lands after the abort
   * would be kept and billed), then drops the upload and its parts. Never
   * throws: the caller is already failing with a better error.
   */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }));
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return; // already gone (aborted twice, or expired by a lifecycle rule)
      log.warn('aborting a multipart upload failed; a bucket lifecycle rule removes it later (docs/storage.md)', { key: this.key, upload_id: this.uploadId, error: (err as Error).name });
    }
  }
}
