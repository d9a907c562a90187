import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { HubError } from '../core/errors.js';
import type { LfsPointer } from '../repo/lfs-pointer.js';
import type { Hub } from '../services/hub.js';
import { type BatchObject, type RemoteRepo, remoteDisplay, remoteError, remoteFetch, remoteLfsBatch } from './replicate-remote.js';

/** Objects per batch request: git-lfs's own default. */
const BATCH = 100;
/** A transfer whose body does not move for this long is given up (and its partial bytes discarded by the store). */
const IDLE_MS = 60_000;

export interface TransferCount {
  objects: number;
  bytes: number;
}

/**
 * Copies the objects that this hub's blob store lacks from the other hub,
 * through its batch API (`download`). Each body is streamed into
 * `hub.blobs.put`, which checks size and sha256 and keeps nothing on a
 * mismatch. Objects already stored are not asked for at all: a second pull
 * transfers only what is new. The download hrefs get only the headers the
 * batch answer gives, never our token (they may point at a CDN).
 */
export async function downloadMissing(hub: Hub, remote: RemoteRepo, token: string | undefined, pointers: LfsPointer[], signal?: AbortSignal): Promise<TransferCount & { added: string[] }> {
  const missing: LfsPointer[] = [];
  for (const p of pointers) {
    const stat = await hub.blobs.stat(p.oid);
    if (!stat || stat.size !== p.size) missing.push(p);
  }
  const count = { objects: 0, bytes: 0, added: [] as string[] };
  for (let i = 0; i < missing.length; i += BATCH) {
    const chunk = missing.slice(i, i + BATCH);
    const answers = await remoteLfsBatch(remote, token, 'download', chunk, signal);
    for (const p of chunk) {
      const a = answers.find((o) => o.oid === p.oid);
      const href = a?.actions?.download;
      if (!a || a.error || !href) {
        throw new HubError('BadGateway', `${remoteDisplay(remote)} cannot give LFS object ${p.oid} (${p.size} bytes): ${a?.error ? `${a.error.code} ${a.error.message}` : 'no download action'}`);
      }
      await downloadOne(hub, p, href, signal);
      count.objects++;
      count.bytes += p.size;
      count.added.push(p.oid);
    }
  }
  return count;
}

async function downloadOne(hub: Hub, p: LfsPointer, action: NonNullable<BatchObject['actions']>['download'] & object, signal?: AbortSignal): Promise<void> {
  const idle = new AbortController();
  const res = await remoteFetch(action.href, undefined, { headers: action.header ?? {}, signal: AbortSignal.any([idle.signal, ...(signal ? [signal] : [])]), timeoutMs: 24 * 3600_000 });
  if (!res.ok || !res.body) throw new HubError('BadGateway', `Downloading LFS object ${p.oid} failed (${res.status}): ${await remoteError(res)}`);
  try {
    await hub.blobs.put(p.oid, p.size, withIdleTimeout(res.body as unknown as AsyncIterable<Uint8Array>, idle));
  } catch (err) {
    if (idle.signal.aborted) throw new HubError('UpstreamUnavailable', `The transfer of LFS object ${p.oid} stalled for ${IDLE_MS / 1000} s; nothing of it was kept`);
    if (signal?.aborted) throw new HubError('ServiceUnavailable', 'Replication was stopped');
    throw err;
  }
}

/** Web streams are async iterables in Node 20; the DOM typings do not say so. */
async function* withIdleTimeout(body: AsyncIterable<Uint8Array>, idle: AbortController): AsyncIterable<Uint8Array> {
  let timer = setTimeout(() => idle.abort(), IDLE_MS);
  try {
    for await (const chunk of body) {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), IDLE_MS);
      yield chunk;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends the objects the other hub lacks for that repo, through its batch API
 * (`upload`, basic transfer): the answer carries an upload action only for
 * what it does not hold, so a second push sends only what is new. Each object
 * is streamed from the blob store with its exact Content-Length, then
 * verified when the other hub asks for it.
 */
export async function uploadMissing(hub: Hub, remote: RemoteRepo, token: string | undefined, pointers: LfsPointer[], signal?: AbortSignal): Promise<TransferCount> {
  const count = { objects: 0, bytes: 0 };
  for (let i = 0; i < pointers.length; i += BATCH) {
    const chunk = pointers.slice(i, i + BATCH);
    const answers = await remoteLfsBatch(remote, token, 'upload', chunk, signal);
    for (const p of chunk) {
      const a = answers.find((o) => o.oid === p.oid);
      if (!a) throw new HubError('BadGateway', `${remoteDisplay(remote)} did not answer for LFS object ${p.oid}`);
      if (a.error) throw new HubError('BadGateway', `${remoteDisplay(remote)} refuses LFS object ${p.oid}: ${a.error.code} ${a.error.message}`);
      const upload = a.actions?.upload;
      if (!upload) continue;
      await putObject(hub, p, upload, signal);
      const verify = a.actions?.verify;
      if (verify) {
        const res = await remoteFetch(verify.href, undefined, {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.git-lfs+json', ...(verify.header ?? {}) },
          body: JSON.stringify({ oid: p.oid, size: p.size }),
          signal,
        });
        if (!res.ok) throw new HubError('BadGateway', `${remoteDisplay(remote)} did not verify LFS object ${p.oid} (${res.status}): ${await remoteError(res)}`);
        await res.body?.cancel();
      }
      count.objects++;
      count.bytes += p.size;
    }
  }
  return count;
}

/** PUT with node:http, so that the body streams from the store with its exact Content-Length (object stores require it). */
async function putObject(hub: Hub, p: LfsPointer, action: { href: string; header?: Record<string, string> }, signal?: AbortSignal): Promise<void> {
  const stat = await hub.blobs.stat(p.oid);
  if (!stat || stat.size !== p.size) throw new HubError('Internal', `LFS object ${p.oid} is not stored here with ${p.size} bytes; it cannot be pushed`);
  const url = new URL(action.href);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...(action.header ?? {}), 'content-type': 'application/octet-stream', 'content-length': String(p.size) };
  const req = send(url, { method: 'PUT', headers, ...(signal ? { signal } : {}) });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  response.catch(() => undefined);
  try {
    await pipeline(await hub.blobs.read(p.oid), req);
    const res = await response;
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    if ((res.statusCode ?? 500) >= 300) {
      const text = Buffer.concat(chunks).toString('utf8').slice(0, 300);
      throw new HubError('BadGateway', `Uploading LFS object ${p.oid} failed (${res.statusCode}): ${res.headers['x-error-message'] ?? text}`);
    }
  } catch (err) {
    if (err instanceof HubError) throw err;
    if (signal?.aborted) throw new HubError('ServiceUnavailable', 'Replication was stopped');
    throw new HubError('UpstreamUnavailable', `Uploading LFS object ${p.oid} to ${url.origin} failed: ${(err as Error).message}`);
  }
}
