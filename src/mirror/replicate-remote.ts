import { HubError } from '../core/errors.js';
import { makeRepoRef, parseRepoType, type RepoRef, type RepoType, repoFullName, typeFromPlural, typePlural, typePrefix } from '../core/repo-id.js';

/** A repo on another hub: its base URL (no credentials, no trailing slash) and its id there. */
export interface RemoteRepo {
  base: string;
  ref: RepoRef;
}

/**
 * Parses `URL/REPO` as people copy it from a browser:
 * `https://hub.example/alice/model`, `https://hub.example/datasets/alice/data`,
 * or with a path prefix (`https://example.org/hub/alice/model`). The last two
 * segments are the repo; a `datasets`/`spaces`/`models` segment before them
 * gives its type (else `typeFlag`, else model).
 */
export function parseRemoteRepo(spec: string, typeFlag?: string): RemoteRepo {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new HubError('BadRequest', `Not a URL: ${JSON.stringify(spec)}; expected URL/NAMESPACE/NAME, e.g. https://hub.example/alice/model`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HubError('BadRequest', `Only http and https URLs can be replicated, not ${url.protocol}`);
  if (url.username || url.password) throw new HubError('BadRequest', 'Put the token in --token, not in the URL (a URL is printed in logs and listings)');
  const segs = url.pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  if (segs.length < 2) throw new HubError('BadRequest', `${spec} does not name a repo: expected URL/NAMESPACE/NAME`);
  const name = segs.pop()!.replace(/\.git$/, '');
  const namespace = segs.pop()!;
  let type: RepoType = parseRepoType(typeFlag);
  const plural = segs.length ? typeFromPlural(segs[segs.length - 1]!) : undefined;
  if (plural) {
    segs.pop();
    if (typeFlag && plural !== type) throw new HubError('BadRequest', `${spec} is a ${plural} URL but --type says ${type}`);
    type = plural;
  }
  const base = `${url.origin}${segs.length ? `/${segs.map(encodeURIComponent).join('/')}` : ''}`;
  return { base, ref: makeRepoRef(type, namespace, name) };
}

/** How the repo is named in listings and on the page: `https://hub/datasets/alice/data`. */
export function remoteDisplay(remote: RemoteRepo): string {
  return `${remote.base}/${typePrefix(remote.ref.type)}${repoFullName(remote.ref)}`;
}

export function remoteGitUrl(remote: RemoteRepo): string {
  return `${remoteDisplay(remote)}.git`;
}

/** Time allowed for the other hub to answer an API call (headers and JSON body). */
const API_TIMEOUT_MS = 30_000;

/**
 * A request to the other hub with the token as a Bearer header. A hub that
 * cannot be reached becomes UpstreamUnavailable with the reason, never a hang.
 */
export async function remoteFetch(url: string, token: string | undefined, init: RequestInit & { signal?: AbortSignal | undefined; timeoutMs?: number } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  const signals = [AbortSignal.timeout(init.timeoutMs ?? API_TIMEOUT_MS)];
  if (init.signal) signals.push(init.signal);
  try {
    return await fetch(url, { ...init, headers, signal: AbortSignal.any(signals) });
  } catch (err) {
    if (init.signal?.aborted) throw new HubError('ServiceUnavailable', 'Replication was stopped');
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new HubError('UpstreamUnavailable', `Cannot reach ${new URL(url).origin}: ${why}`);
  }
}

/** The hub's error message from a failed answer (HF JSON format or git-lfs's). */
export async function remoteError(res: Response): Promise<string> {
  const header = res.headers.get('x-error-message');
  if (header) return header;
  const text = (await res.text().catch(() => '')).slice(0, 500);
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') return body.error;
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON
  }
  return text || res.statusText;
}

export interface RemoteInfo {
  id: string | undefined;
  private: boolean;
  gated: false | 'auto' | 'manual';
  sha: string | undefined;
}

/** `GET /api/{T}/{repo}` on the other hub, or undefined when it has no such repo (or the token cannot see it). */
export async function remoteRepoInfo(remote: RemoteRepo, token: string | undefined, signal?: AbortSignal): Promise<RemoteInfo | undefined> {
  const res = await remoteFetch(`${remote.base}/api/${typePlural(remote.ref.type)}/${repoFullName(remote.ref)}`, token, { signal });
  if (res.status === 404 || res.status === 401) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.ok) throw new HubError('BadGateway', `${remoteDisplay(remote)} answered ${res.status}: ${await remoteError(res)}`);
  const body = (await res.json()) as Record<string, unknown>;
  const gated = body.gated === 'auto' || body.gated === 'manual' ? body.gated : false;
  return {
    id: typeof body._id === 'string' ? body._id : undefined,
    private: body.private === true,
    gated,
    sha: typeof body.sha === 'string' ? body.sha : undefined,
  };
}

/** `POST /api/repos/create` on the other hub (spec 5.1). */
export async function createRemoteRepo(remote: RemoteRepo, token: string | undefined, isPrivate: boolean, signal?: AbortSignal): Promise<void> {
  const res = await remoteFetch(`${remote.base}/api/repos/create`, token, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: remote.ref.name, organization: remote.ref.namespace, type: remote.ref.type, private: isPrivate }),
    signal,
  });
  // 409: someone created it meanwhile, which is what we wanted.
  if (!res.ok && res.status !== 409) throw new HubError('BadGateway', `Creating ${remoteDisplay(remote)} failed (${res.status}): ${await remoteError(res)}`);
  await res.body?.cancel();
}

export interface BatchAction {
  href: string;
  header?: Record<string, string>;
}

export interface BatchObject {
  oid: string;
  size: number;
  actions?: { download?: BatchAction; upload?: BatchAction; verify?: BatchAction };
  error?: { code: number; message: string };
}

/** The other hub's LFS batch API (git-lfs docs/api/batch.md), basic transfer only. */
export async function remoteLfsBatch(remote: RemoteRepo, token: string | undefined, operation: 'download' | 'upload', objects: { oid: string; size: number }[], signal?: AbortSignal): Promise<BatchObject[]> {
  const url = `${remoteDisplay(remote)}.git/info/lfs/objects/batch`;
  const res = await remoteFetch(url, token, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.git-lfs+json', accept: 'application/vnd.git-lfs+json' },
    body: JSON.stringify({ operation, transfers: ['basic'], hash_algo: 'sha256', objects }),
    signal,
  });
  if (!res.ok) throw new HubError('BadGateway', `LFS batch ${operation} at ${remoteDisplay(remote)} failed (${res.status}): ${await remoteError(res)}`);
  const body = (await res.json()) as { objects?: BatchObject[] };
  if (!Array.isArray(body.objects)) throw new HubError('BadGateway', `LFS batch ${operation} at ${remoteDisplay(remote)} answered without objects`);
  return body.objects;
}
