import type { Readable } from 'node:stream';
import { HubError } from '../core/errors.js';
import { SHA256_RE } from '../core/revision.js';
import { formatSize } from '../core/sizes.js';
import { nowIso } from '../core/time.js';
import type { Hub } from './hub.js';
import { checkUploadQuota, quotaRefusals } from './quotas.js';
import type { RepoRow } from './repos.js';
import { repoHasLfsObject } from './tree-index.js';

/** Request body of `POST …/info/lfs/objects/batch` (spec 6.4; git-lfs docs/api/batch.md). */
export interface ApiLfsBatchRequest {
  operation: 'upload' | 'download';
  transfers?: string[];
  objects: { oid: string; size: number }[];
  hash_algo?: string;
  ref?: { name: string };
}

export interface LfsAction {
  href: string;
  header?: Record<string, string>;
  expires_in?: number;
}

export interface ApiLfsBatchObject {
  oid: string;
  size: number;
  authenticated?: boolean;
  actions?: { upload?: LfsAction; verify?: LfsAction; download?: LfsAction };
  error?: { code: number; message: string };
}

export function parseBatchRequest(body: unknown): ApiLfsBatchRequest {
  if (typeof body !== 'object' || body === null) throw new HubError('UnprocessableEntity', 'Expected a JSON batch request');
  const b = body as Record<string, unknown>;
  if (b.operation !== 'upload' && b.operation !== 'download') throw new HubError('UnprocessableEntity', 'operation must be "upload" or "download"');
  if (!Array.isArray(b.objects)) throw new HubError('UnprocessableEntity', 'objects must be a list');
  if (b.objects.length > 1000) throw new HubError('UnprocessableEntity', 'At most 1000 objects per batch');
  if (b.hash_algo !== undefined && b.hash_algo !== 'sha256' && b.hash_algo !== 'sha_256') {
    throw new HubError('Conflict', `Unsupported hash algorithm ${String(b.hash_algo)}`);
  }
  const objects = b.objects.map((o: unknown) => {
    const r = (typeof o === 'object' && o !== null ? o : {}) as Record<string, unknown>;
    return { oid: typeof r.oid === 'string' ? r.oid : String(r.oid), size: typeof r.size === 'number' ? r.size : Number.NaN };
  });
  return {
    operation: b.operation,
    objects,
    ...(Array.isArray(b.transfers) ? { transfers: b.transfers.map(String) } : {}),
  };
}

/** Where the HTTP layer puts transfer routes; the service only signs them. */
export interface LfsUrls {
  object(oid: string): string;
  verify(): string;
}

/** The message for an object over ORCHARD_MAX_LFS_OBJECT_BYTES. */
export function objectTooLargeMessage(size: number, max: number): string {
  return `This file is ${formatSize(size)}, larger than this hub's limit of ${formatSize(max)} (${max} bytes) per LFS object`;
}

/**
 * Answers a batch request with signed transfer URLs. Objects are
 * content-addressed and shared between repos, but a repo only ever sees the
 * objects it references or that were uploaded to it: anything else is
 * uploaded again (and verified), so no one can probe for or borrow another
 * repo's private object by its hash.
 *
 * Uploads over the size limit get a per-object 422, and those that would
 * take the namespace past its quota a per-object 507 (RFC 4331's status for
 * quotas, git-lfs's for insufficient storage). Every client shows a
 * per-object error's message and stops: PY raises, JS throws
 * `HubApiError(code)`, git-lfs prints `[oid] message` (spec 6.4).
 */
export async function lfsBatch(hub: Hub, repo: RepoRow, req: ApiLfsBatchRequest, urls: LfsUrls): Promise<{ transfer: 'basic'; objects: ApiLfsBatchObject[]; hash_algo: 'sha256' }> {
  const ttl = hub.limits.signedUrlTtlSeconds;
  const maxSize = hub.limits.maxLfsObjectBytes;
  const objects: ApiLfsBatchObject[] = [];
  /** uploads that passed the other checks, by their index in `objects`: the quota decides them all at once */
  const pending = new Map<number, { oid: string; size: number }>();
  for (const { oid, size } of req.objects) {
    if (!SHA256_RE.test(oid)) {
      objects.push({ oid, size: Number.isSafeInteger(size) ? size : 0, error: { code: 422, message: 'Invalid object id: expected a sha256 in lower-case hex' } });
      continue;
    }
    if (!Number.isSafeInteger(size) || size < 0) {
      objects.push({ oid, size: 0, error: { code: 422, message: 'Invalid object size' } });
      continue;
    }
    const stored = await hub.blobs.stat(oid);
    const visible = stored !== undefined && stored.size === size && (await repoHasLfsObject(hub, repo.id, oid));
    if (req.operation === 'upload') {
      if (visible) {
        objects.push({ oid, size });
        continue;
      }
      if (maxSize && size > maxSize) {
        objects.push({ oid, size, error: { code: 422, message: objectTooLargeMessage(size, maxSize) } });
        continue;
      }
      pending.set(objects.length, { oid, size });
      objects.push({ oid, size });
    } else {
      if (!visible) {
        objects.push({ oid, size, error: { code: 404, message: 'Object does not exist' } });
        continue;
      }
      // A store that can presign (S3) lets git-lfs fetch straight from the bucket, as resolve does.
      const presigned = size > 0 ? await hub.blobs.presignedGetUrl?.(oid, { expiresInSeconds: ttl }) : undefined;
      const href = presigned ?? `${urls.object(oid)}?${hub.signer.query(['download', repo.id, oid], ttl)}`;
      objects.push({ oid, size, authenticated: true, actions: { download: { href, expires_in: ttl } } });
    }
  }
  const refused = await quotaRefusals(hub, repo.namespace, [...pending.values()]);
  for (const [i, { oid, size }] of pending) {
    const message = refused.get(oid);
    if (message) {
      objects[i] = { oid, size, error: { code: 507, message } };
      continue;
    }
    const q = hub.signer.query(['upload', repo.id, oid, String(size)], ttl);
    const vq = hub.signer.query(['verify', repo.id, oid, String(size)], ttl);
    objects[i] = {
      oid, size, authenticated: true,
      actions: {
        upload: { href: `${urls.object(oid)}?size=${size}&${q}`, expires_in: ttl },
        verify: { href: `${urls.verify()}?oid=${oid}&size=${size}&${vq}`, expires_in: ttl },
      },
    };
  }
  return { transfer: 'basic', objects, hash_algo: 'sha256' };
}

/**
 * Receives an upload whose URL was signed by `lfsBatch`. The quota is
 * checked again before any byte is read: the URL may have been signed
 * before a quota was set or lowered.
 */
export async function receiveLfsObject(hub: Hub, repo: RepoRow, oid: string, size: number, body: Readable): Promise<void> {
  const existing = await hub.blobs.stat(oid);
  if (existing && existing.size === size && (await repoHasLfsObject(hub, repo.id, oid))) {
    body.resume();
    return;
  }
  await checkUploadQuota(hub, repo.namespace, oid, size);
  // Always stream through put(): even when the object is stored for another
  // repo, the uploader must prove it has the bytes.
  await hub.blobs.put(oid, size, body);
  await hub.db
    .insertInto('lfs_uploads')
    .values({ repo_id: repo.id, oid, size, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['repo_id', 'oid']).doNothing())
    .execute();
}

/** The verify step: the object must be stored, with that size, for this repo. */
export async function verifyLfsObject(hub: Hub, repo: RepoRow, oid: string, size: number): Promise<void> {
  const stat = await hub.blobs.stat(oid);
  if (!stat || !(await repoHasLfsObject(hub, repo.id, oid))) throw new HubError('NotFound', `Object ${oid} was not uploaded`);
  if (stat.size !== size) throw new HubError('UnprocessableEntity', `Object ${oid} has ${stat.size} bytes, not ${size}`);
}
