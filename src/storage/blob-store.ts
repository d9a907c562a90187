import type { Readable } from 'node:stream';

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Positional reads of one stored object (see `BlobStore.openReader`). */
export interface BlobReader {
  /** Reads up to `length` bytes at `position` into the start of `buffer`; resolves to the count read (0 at the end). */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Content-addressed storage for large (LFS) files, keyed by sha256 hex.
 *
 * Every implementation must pass `test/storage/blob-store-contract.ts`. The
 * one rule that matters most: an object becomes visible only once all of its
 * bytes have arrived and their size and sha256 match the key.
 */
export interface BlobStore {
  /** Human-readable kind, for logs and the contract test's name. */
  readonly kind: string;
  /** The object's size, or undefined when it is not stored. */
  stat(oid: string): Promise<{ size: number } | undefined>;
  /**
   * Streams `source` into the store. Rejects with a HubError
   * (UnprocessableEntity) when the bytes do not match `oid` and `size`, and
   * leaves nothing behind in that case or when `source` fails.
   */
  put(oid: string, size: number, source: AsyncIterable<Uint8Array> | Readable): Promise<void>;
  /** Reads the whole object or an inclusive range of it. Rejects with EntryNotFound when absent. */
  read(oid: string, range?: ByteRange): Promise<Readable>;
  /**
   * Optional: positional reads into the caller's buffers, so that a server can
   * reuse a few buffers instead of the new one per chunk that a stream makes
   * (see `serveFile`). Rejects with EntryNotFound when absent.
   */
  openReader?(oid: string): Promise<BlobReader>;
  delete(oid: string): Promise<void>;
  /**
   * An absolute, signed URL that serves the object directly (object storage),
   * or undefined when the store cannot give one and the hub should stream.
   */
  presignedGetUrl?(oid: string, opts: { expiresInSeconds: number; filename?: string }): Promise<string | undefined>;
  /**
   * Where presigned URLs point, as a Content-Security-Policy source (`https://minio.example.org`,
   * `https://*.amazonaws.com`), so that the hub's pages may load what redirects there (card images).
   */
  readonly downloadSource?: string | undefined;
}
