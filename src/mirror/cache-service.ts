import { createHash } from 'node:crypto';
import { HubError } from '../core/errors.js';
import { validateRepoPath } from '../core/paths.js';
import type { RepoRef } from '../core/repo-id.js';
import type { Db } from '../db/database.js';
import type { BlobReader } from '../storage/blob-store.js';
import { StaleRangeError, type ObjectCache, type ObjectKey } from './object-cache.js';
import type { GitCache } from './git-cache.js';
import { RepoPatterns } from './repo-patterns.js';
import { apiPlural, encodePath, Upstream, urlPrefix } from './upstream.js';

export interface MirrorSettings {
  revalidateSeconds: number;
  allow: string[];
  deny: string[];
  servePrivate: boolean;
}

/** A file at a commit, as upstream announced it. */
export interface MirroredFile {
  kind: 'lfs' | 'git';
  oid: string;
  size: number;
}

export interface MirrorStats {
  upstream: string;
  offline: boolean;
  usage: { bytes: number; objects: number; maxBytes: number; repos: number };
  files: { hits: number; misses: number; hitRate: number | null; bytesFromCache: number; bytesFromUpstream: number; transfers: number; refused: number; evicted: number };
  metadata: { hits: number; misses: number; hitRate: number | null; staleServed: number };
}

export interface MetaCounters {
  metadataHits: number;
  metadataMisses: number;
  /** Answers served from the cache because upstream could not be asked. */
  staleServed: number;
}

const COMMIT = /^[0-9a-f]{40}$/;

export function repoKey(ref: RepoRef): string {
  return `${ref.type}:${ref.namespace}/${ref.name}`.toLowerCase();
}

/** Query parameters that change what upstream answers (pagination is the cache's own business). */
function normalisedQuery(query: URLSearchParams, drop: string[] = []): string {
  const kept = [...query.entries()].filter(([k]) => !drop.includes(k)).sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return new URLSearchParams(kept).toString();
}

function unquote(etag: string | null): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** The `commit_sha` of `mirror_files` rows that record objects upstream's LFS batch named for a repo. */
const LFS_BATCH_COMMIT = 'lfs-batch';

/**
 * The pull-through cache's answers (docs/mirror.md): repo info, trees,
 * paths-info and files of upstream repos this hub does not hold.
 *
 * Everything is stored under a commit hash, so it never goes stale; only the
 * mapping from a branch or tag to a commit is re-checked with upstream once it
 * is older than `revalidateSeconds`. When upstream cannot be asked (offline,
 * down, timing out), what is cached is served as it is and anything else is
 * an UpstreamUnavailable error.
 */
export class MirrorCache {
  readonly counters: MetaCounters = { metadataHits: 0, metadataMisses: 0, staleServed: 0 };
  private readonly patterns: RepoPatterns;

  constructor(
    private readonly db: Db,
    readonly upstream: Upstream,
    readonly objects: ObjectCache,
    private readonly settings: MirrorSettings,
    /** Bare git copies of upstream repos, for git clients (also offline). */
    readonly git: GitCache,
  ) {
    this.patterns = new RepoPatterns(settings.allow, settings.deny);
  }

  /** Whether the allow and deny lists let this repo through the mirror at all. */
  allows(ref: RepoRef): boolean {
    return this.patterns.allows(ref);
  }

  private fresh(checkedAt: string): boolean {
    return Date.now() - Date.parse(checkedAt) < this.settings.revalidateSeconds * 1000;
  }

  /**
   * The repo's cache row, asking upstream for its default info when unknown
   * or due; refuses repos upstream keeps private or gated unless allowed.
   */
  async repo(ref: RepoRef): Promise<{ key: string; name: string }> {
    if (!this.allows(ref)) throw new HubError('RepoNotFound', `Repository not found: ${ref.namespace}/${ref.name} is not mirrored by this hub`);
    const key = repoKey(ref);
    let row = await this.db.selectFrom('mirror_repos').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row || !this.fresh(row.checked_at)) {
      try {
        await this.fetchInfo(ref, key, '', '');
      } catch (err) {
        if (!(row && this.upstreamDown(err))) throw err;
        this.counters.staleServed++;
      }
      row = await this.db.selectFrom('mirror_repos').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
    }
    if (!this.settings.servePrivate) {
      if (row.private) throw new HubError('RepoNotFound', `Repository not found: ${ref.namespace}/${ref.name}`);
      if (row.gated !== 'false') throw new HubError('Forbidden', `${row.name} is gated upstream; this mirror does not serve gated repos (see ORCHARD_MIRROR_SERVE_PRIVATE in docs/mirror.md)`);
    }
    const now = new Date().toISOString();
    if (Date.now() - Date.parse(row.last_access) > 60_000) {
      await this.db.updateTable('mirror_repos').set({ last_access: now }).where('key', '=', key).execute();
    }
    return { key, name: row.name };
  }

  private upstreamDown(err: unknown): boolean {
    return err instanceof HubError && err.code === 'UpstreamUnavailable';
  }

  /**
   * Asks upstream for the repo info at `revision` ('' = default branch) and
   * stores it: the repo row, the revision's commit, and the info document.
   */
  private async fetchInfo(ref: RepoRef, key: string, revision: string, query: string): Promise<{ commit: string; body: Record<string, unknown> }> {
    const id = `${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`;
    const at = revision === '' ? '' : `/revision/${encodeURIComponent(revision)}`;
    const { body } = await this.upstream.json<Record<string, unknown>>(`/api/${apiPlural(ref.type)}/${id}${at}${query ? `?${query}` : ''}`);
    const commit = typeof body.sha === 'string' && COMMIT.test(body.sha) ? body.sha : undefined;
    if (!commit) throw new HubError('BadGateway', `Upstream's info for ${ref.namespace}/${ref.name} names no commit`);
    const now = new Date().toISOString();
    const name = typeof body.id === 'string' ? body.id : `${ref.namespace}/${ref.name}`;
    const gated = body.gated === undefined || body.gated === false ? 'false' : String(body.gated);
    await this.db
      .insertInto('mirror_repos')
      .values({ key, type: ref.type, name, private: body.private === true ? 1 : 0, gated, checked_at: now, last_access: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ name, private: body.private === true ? 1 : 0, gated, checked_at: now }))
      .execute();
    await this.saveRevision(key, revision, commit);
    await this.saveDocument(key, commit, `info?${query}`, JSON.stringify(body));
    return { commit, body };
  }

  private async saveRevision(key: string, revision: string, commit: string): Promise<void> {
    if (COMMIT.test(revision)) return;
    const now = new Date().toISOString();
    await this.db
      .insertInto('mirror_revisions')
      .values({ repo_key: key, revision, commit_sha: commit, checked_at: now })
      .onConflict((oc) => oc.columns(['repo_key', 'revision']).doUpdateSet({ commit_sha: commit, checked_at: now }))
      .execute();
  }

  private async saveDocument(key: string, commit: string, kind: string, body: string): Promise<void> {
    await this.db
      .insertInto('mirror_documents')
      .values({ repo_key: key, commit_sha: commit, kind, body, fetched_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(['repo_key', 'commit_sha', 'kind']).doUpdateSet({ body, fetched_at: new Date().toISOString() }))
      .execute();
  }

  private async document(key: string, commit: string, kind: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('mirror_documents').select('body').where('repo_key', '=', key).where('commit_sha', '=', commit).where('kind', '=', kind).executeTakeFirst();
    return row?.body;
  }

  /** The commit a revision names: a commit hash as is, a branch or tag from the cache while fresh. */
  async commitFor(ref: RepoRef, key: string, asked: string): Promise<string> {
    if (COMMIT.test(asked)) return asked;
    // JS asks for `HEAD`: the default branch, which the repo info without a revision names.
    const revision = asked === 'HEAD' ? '' : asked;
    const row = await this.db.selectFrom('mirror_revisions').selectAll().where('repo_key', '=', key).where('revision', '=', revision).executeTakeFirst();
    if (row && (this.fresh(row.checked_at) || this.upstream.offline)) return row.commit_sha;
    try {
      return (await this.fetchInfo(ref, key, revision, '')).commit;
    } catch (err) {
      if (row && this.upstreamDown(err)) {
        this.counters.staleServed++;
        return row.commit_sha;
      }
      throw err;
    }
  }

  /** Repo info (`GET /api/{T}/{repo}[/revision/{rev}]`), with the query the client sent. */
  async info(ref: RepoRef, revision: string | undefined, query: URLSearchParams): Promise<Record<string, unknown>> {
    const { key } = await this.repo(ref);
    const commit = await this.commitFor(ref, key, revision ?? '');
    const q = normalisedQuery(query);
    const cached = await this.document(key, commit, `info?${q}`);
    if (cached) {
      this.counters.metadataHits++;
      return JSON.parse(cached) as Record<string, unknown>;
    }
    this.counters.metadataMisses++;
    try {
      return (await this.fetchInfo(ref, key, commit, q)).body;
    } catch (err) {
      if (!this.upstreamDown(err)) throw err;
      // Another client asked with other `expand` fields: together they are the best answer there is.
      const docs = await this.documents(key, commit, 'info?');
      if (docs.length === 0) throw err;
      this.counters.staleServed++;
      return Object.assign({}, ...docs.map((d) => JSON.parse(d.body) as Record<string, unknown>)) as Record<string, unknown>;
    }
  }

  /** Cached documents of a commit whose kind starts with `prefix`. */
  private async documents(key: string, commit: string, prefix: string): Promise<{ kind: string; body: string }[]> {
    const rows = await this.db
      .selectFrom('mirror_documents')
      .select(['kind', 'body'])
      .where('repo_key', '=', key)
      .where('commit_sha', '=', commit)
      .execute();
    return rows.filter((r) => r.kind.startsWith(prefix));
  }

  /** A whole tree listing (every page upstream has), cached per commit, path and options. */
  async tree(ref: RepoRef, revision: string, dir: string, query: URLSearchParams): Promise<{ commit: string; entries: unknown[] }> {
    const { key } = await this.repo(ref);
    if (dir !== '') validateRepoPath(dir);
    const commit = await this.commitFor(ref, key, revision);
    const q = normalisedQuery(query, ['cursor', 'limit']);
    const kind = `tree:${dir}?${q}`;
    const cached = await this.document(key, commit, kind);
    if (cached) {
      this.counters.metadataHits++;
      return { commit, entries: JSON.parse(cached) as unknown[] };
    }
    this.counters.metadataMisses++;
    const id = `${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`;
    let next: string | undefined = `/api/${apiPlural(ref.type)}/${id}/tree/${commit}${dir ? `/${encodePath(dir)}` : ''}${q ? `?${q}` : ''}`;
    const entries: unknown[] = [];
    try {
      for (let pages = 0; next; pages++) {
        if (pages > 10_000) throw new HubError('BadGateway', 'Upstream keeps sending more tree pages');
        const { body, res } = await this.upstream.json<unknown[]>(next);
        if (!Array.isArray(body)) throw new HubError('BadGateway', 'Upstream sent a tree that is not a list');
        entries.push(...body);
        const target = nextLink(res.headers.get('link'));
        next = target === undefined ? undefined : this.upstream.localPath(target);
      }
    } catch (err) {
      if (!this.upstreamDown(err)) throw err;
      // The same folder listed with other options (`expand`): its entries are the same.
      const recursive = query.get('recursive');
      const match = (await this.documents(key, commit, `tree:${dir}?`)).find((d) => new URLSearchParams(d.kind.slice(d.kind.indexOf('?') + 1)).get('recursive') === recursive);
      if (!match) throw err;
      this.counters.staleServed++;
      return { commit, entries: JSON.parse(match.body) as unknown[] };
    }
    await this.saveDocument(key, commit, kind, JSON.stringify(entries));
    return { commit, entries };
  }

  /** `paths-info` for a set of paths, cached per commit and request. */
  async pathsInfo(ref: RepoRef, revision: string, paths: string[], expand: boolean): Promise<unknown[]> {
    const { key } = await this.repo(ref);
    for (const p of paths) validateRepoPath(p.replace(/\/+$/, ''));
    const commit = await this.commitFor(ref, key, revision);
    const kind = `paths-info:${createHash('sha256').update(JSON.stringify({ paths: [...paths].sort(), expand })).digest('hex')}`;
    const cached = await this.document(key, commit, kind);
    if (cached) {
      this.counters.metadataHits++;
      return JSON.parse(cached) as unknown[];
    }
    this.counters.metadataMisses++;
    const form = new URLSearchParams();
    for (const p of paths) form.append('paths', p);
    if (expand) form.set('expand', 'true');
    const id = `${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`;
    const res = await this.upstream.request(`/api/${apiPlural(ref.type)}/${id}/paths-info/${commit}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const body = (await res.json().catch(() => undefined)) as unknown;
    if (!Array.isArray(body)) throw new HubError('BadGateway', 'Upstream sent paths-info that is not a list');
    await this.saveDocument(key, commit, kind, JSON.stringify(body));
    return body;
  }

  /** What upstream says a file is at a revision: its commit, and its content id and size. */
  async file(ref: RepoRef, revision: string, filePath: string): Promise<{ key: string; name: string; commit: string; file: MirroredFile }> {
    const { key, name } = await this.repo(ref);
    const commit = await this.commitFor(ref, key, revision);
    const commitHeader = { 'X-Repo-Commit': commit };
    try {
      validateRepoPath(filePath);
    } catch (err) {
      if (err instanceof HubError) throw new HubError(err.code, err.message, { headers: commitHeader });
      throw err;
    }
    const row = await this.db.selectFrom('mirror_files').selectAll().where('repo_key', '=', key).where('commit_sha', '=', commit).where('path', '=', filePath).executeTakeFirst();
    let file: MirroredFile;
    if (row) {
      this.counters.metadataHits++;
      if (row.kind === 'missing') throw new HubError('EntryNotFound', `Entry not found: ${filePath} does not exist at revision ${revision}`, { headers: commitHeader });
      file = { kind: row.kind, oid: row.oid, size: Number(row.size) };
    } else {
      const listed = await this.fromTrees(key, commit, filePath);
      if (listed) {
        this.counters.metadataHits++;
        await this.saveFile(key, commit, filePath, listed);
        file = listed;
      } else {
        this.counters.metadataMisses++;
        file = await this.fetchFileMeta(ref, key, commit, filePath, revision);
      }
    }
    return { key, name, commit, file };
  }

  /**
   * A file's content id and size from a cached tree listing of the commit
   * (clients list a repo before downloading it): saves upstream a request per
   * file, and lets a listed file be served when upstream is gone.
   */
  private async fromTrees(key: string, commit: string, filePath: string): Promise<MirroredFile | undefined> {
    for (const doc of await this.documents(key, commit, 'tree:')) {
      const dir = doc.kind.slice('tree:'.length, doc.kind.indexOf('?'));
      if (dir !== '' && !filePath.startsWith(`${dir}/`)) continue;
      const entries = JSON.parse(doc.body) as { type?: string; path?: string; oid?: string; size?: number; lfs?: { oid?: string; size?: number } }[];
      const e = entries.find((x) => x.type === 'file' && x.path === filePath);
      if (!e) continue;
      if (e.lfs && typeof e.lfs.oid === 'string' && /^[0-9a-f]{64}$/.test(e.lfs.oid) && Number.isSafeInteger(e.lfs.size)) return { kind: 'lfs', oid: e.lfs.oid, size: e.lfs.size! };
      if (!e.lfs && typeof e.oid === 'string' && /^[0-9a-f]{40}$/.test(e.oid) && Number.isSafeInteger(e.size)) return { kind: 'git', oid: e.oid, size: e.size! };
    }
    return undefined;
  }

  private async fetchFileMeta(ref: RepoRef, key: string, commit: string, filePath: string, revision: string): Promise<MirroredFile> {
    const url = `${urlPrefix(ref.type)}/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}/resolve/${commit}/${encodePath(filePath)}`;
    let res: Response;
    try {
      // Not followed: an LFS file's metadata is on the redirect itself (spec 2.3).
      res = await this.upstream.request(url, { method: 'HEAD', redirect: 'manual', headers: { 'accept-encoding': 'identity' } });
    } catch (err) {
      if (err instanceof HubError && err.code === 'EntryNotFound') {
        await this.saveFile(key, commit, filePath, { kind: 'missing', oid: '', size: 0 });
        throw new HubError('EntryNotFound', `Entry not found: ${filePath} does not exist at revision ${revision}`, { headers: { 'X-Repo-Commit': commit } });
      }
      throw err;
    }
    const linkedEtag = unquote(res.headers.get('x-linked-etag'));
    const linkedSize = res.headers.get('x-linked-size');
    let file: MirroredFile;
    if (linkedEtag && linkedSize !== null) {
      file = { kind: 'lfs', oid: linkedEtag, size: Number(linkedSize) };
      if (!/^[0-9a-f]{64}$/.test(file.oid)) throw new HubError('BadGateway', `Upstream announced an LFS file whose etag is not a sha256: ${linkedEtag}`);
    } else if (res.status >= 300) {
      throw new HubError('BadGateway', `Upstream redirected ${filePath} without the X-Linked-Etag/X-Linked-Size of an LFS file`);
    } else {
      file = { kind: 'git', oid: unquote(res.headers.get('etag')), size: Number(res.headers.get('content-length')) };
      if (!/^[0-9a-f]{40}$/.test(file.oid)) throw new HubError('BadGateway', `Upstream announced a file whose etag is not a git blob id: ${file.oid}`);
    }
    if (!Number.isSafeInteger(file.size) || file.size < 0) throw new HubError('BadGateway', `Upstream announced an invalid size for ${filePath}`);
    await this.saveFile(key, commit, filePath, file);
    return file;
  }

  private async saveFile(key: string, commit: string, filePath: string, file: { kind: 'lfs' | 'git' | 'missing'; oid: string; size: number }): Promise<void> {
    await this.db
      .insertInto('mirror_files')
      .values({ repo_key: key, commit_sha: commit, path: filePath, kind: file.kind, oid: file.oid, size: file.size })
      .onConflict((oc) => oc.columns(['repo_key', 'commit_sha', 'path']).doNothing())
      .execute();
  }

  /** What the cache holds and how often it answered without upstream (this process, since it started). */
  async stats(): Promise<MirrorStats> {
    const used = await this.objects.usedBytes();
    const repos = await this.db.selectFrom('mirror_repos').select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const o = this.objects.counters;
    const m = this.counters;
    const rate = (hits: number, misses: number): number | null => (hits + misses === 0 ? null : hits / (hits + misses));
    return {
      upstream: this.upstream.opts.url,
      offline: this.upstream.offline,
      usage: { bytes: used.bytes, objects: used.objects, maxBytes: this.objects.maxBytes, repos: Number(repos.n) },
      files: { hits: o.objectHits, misses: o.objectMisses, hitRate: rate(o.objectHits, o.objectMisses), bytesFromCache: o.bytesFromCache, bytesFromUpstream: o.bytesFromUpstream, transfers: o.upstreamTransfers, refused: o.refusedObjects, evicted: o.evictedObjects },
      metadata: { hits: m.metadataHits, misses: m.metadataMisses, hitRate: rate(m.metadataHits, m.metadataMisses), staleServed: m.staleServed },
    };
  }

  /**
   * Cached upstream repos of a type, most recently used first, for listings
   * and search: those the mirror would serve (allowed, public unless allowed).
   */
  async cachedRepos(type: RepoRef['type'], opts: { search?: string; author?: string; limit: number }): Promise<{ id: string; lastAccess: string }[]> {
    let q = this.db.selectFrom('mirror_repos').select(['name', 'type', 'last_access', 'private', 'gated']).where('type', '=', type);
    if (opts.search) q = q.where('key', 'like', `%${opts.search.toLowerCase().replace(/[%_\\]/g, '')}%`);
    if (opts.author) q = q.where('key', 'like', `${type}:${opts.author.toLowerCase().replace(/[%_\\]/g, '')}/%`);
    const rows = await q.orderBy('last_access', 'desc').limit(opts.limit).execute();
    return rows
      .filter((r) => this.settings.servePrivate || (!r.private && r.gated === 'false'))
      .filter((r) => {
        const [namespace, name] = r.name.split('/');
        return namespace !== undefined && name !== undefined && this.allows({ type, namespace, name });
      })
      .map((r) => ({ id: r.name, lastAccess: r.last_access }));
  }

  /** `/{P}{ns}/{name}` on upstream. */
  repoPath(ref: RepoRef): string {
    return `${urlPrefix(ref.type)}/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`;
  }

  /** Upstream's LFS batch (download) for these objects: the ones it has, with where to get them. */
  async lfsBatch(ref: RepoRef, objects: { oid: string; size: number }[]): Promise<Map<string, { size: number; href: string; header: Record<string, string> }>> {
    const res = await this.upstream.request(`${this.repoPath(ref)}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { accept: 'application/vnd.git-lfs+json', 'content-type': 'application/vnd.git-lfs+json' },
      body: JSON.stringify({ operation: 'download', transfers: ['basic'], hash_algo: 'sha256', objects }),
    });
    const body = (await res.json().catch(() => undefined)) as { objects?: { oid?: string; size?: number; actions?: { download?: { href?: string; header?: Record<string, string> } } }[] } | undefined;
    if (!body || !Array.isArray(body.objects)) throw new HubError('BadGateway', 'Upstream sent a malformed LFS batch answer');
    const out = new Map<string, { size: number; href: string; header: Record<string, string> }>();
    for (const o of body.objects) {
      const href = o.actions?.download?.href;
      if (typeof o.oid === 'string' && typeof href === 'string' && Number.isSafeInteger(o.size)) out.set(o.oid, { size: o.size!, href, header: o.actions?.download?.header ?? {} });
    }
    return out;
  }

  /**
   * Records that upstream's LFS batch named these objects for this repo, so that a later batch can be
   * answered from the cache without upstream (`cachedLfsObjects`). Kept beside the repo's files under a
   * commit name no real commit has.
   */
  async rememberLfsObjects(ref: RepoRef, objects: { oid: string; size: number }[]): Promise<void> {
    if (objects.length === 0) return;
    const key = repoKey(ref);
    await this.db
      .insertInto('mirror_files')
      .values(objects.map((o) => ({ repo_key: key, commit_sha: LFS_BATCH_COMMIT, path: o.oid, kind: 'lfs', oid: o.oid, size: o.size })))
      .onConflict((oc) => oc.columns(['repo_key', 'commit_sha', 'path']).doNothing())
      .execute();
  }

  /**
   * The asked objects that this repo is known to have (a file of it, or upstream's batch for it, named
   * them) and that are complete in the cache: they are served without asking upstream, also offline.
   * An object cached for another repo is not handed out through this one.
   */
  async cachedLfsObjects(ref: RepoRef, objects: { oid: string; size: number }[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (objects.length === 0) return out;
    const rows = await this.db
      .selectFrom('mirror_files')
      .select(['oid', 'size'])
      .where('repo_key', '=', repoKey(ref))
      .where('kind', '=', 'lfs')
      .where('oid', 'in', objects.map((o) => o.oid))
      .execute();
    for (const r of rows) {
      if (out.has(r.oid)) continue;
      if (await this.objects.has({ algo: 'sha256', oid: r.oid, size: Number(r.size) })) out.add(r.oid);
    }
    return out;
  }

  /** An LFS object by its sha256, filled through upstream's batch API when not cached. */
  async openLfsObject(ref: RepoRef, oid: string, size: number): Promise<BlobReader> {
    return this.objects.open({ algo: 'sha256', oid, size }, async (offset, signal) => {
      const found = (await this.lfsBatch(ref, [{ oid, size }])).get(oid);
      if (!found) throw new HubError('EntryNotFound', `Upstream has no LFS object ${oid} in ${ref.namespace}/${ref.name}`);
      // The link may point at another host (object storage): the mirror's token is not sent there.
      const headers: Record<string, string> = { ...found.header, 'accept-encoding': 'identity' };
      if (offset > 0) headers.range = `bytes=${offset}-`;
      let res: Response;
      try {
        res = await fetch(found.href, { headers, signal });
      } catch {
        throw new HubError('UpstreamUnavailable', `Upstream's LFS link for ${oid} could not be reached`);
      }
      if (res.status === 416) throw new StaleRangeError(`Upstream has fewer than the ${offset} bytes already cached of ${oid}`);
      if (!res.ok || !res.body) throw new HubError('BadGateway', `Upstream's LFS link for ${oid} answered ${res.status}`);
      const start = res.status === 206 ? Number(/^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1] ?? -1) : 0;
      return { start, body: res.body as unknown as AsyncIterable<Uint8Array> };
    });
  }

  /** A reader of the file's bytes: from the cache, or streamed from upstream while it is cached. */
  async openFile(ref: RepoRef, commit: string, filePath: string, file: MirroredFile): Promise<BlobReader> {
    const objectKey: ObjectKey = { algo: file.kind === 'lfs' ? 'sha256' : 'git', oid: file.oid, size: file.size };
    const url = `${urlPrefix(ref.type)}/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}/resolve/${commit}/${encodePath(filePath)}`;
    return this.objects.open(objectKey, async (offset, signal) => {
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (offset > 0) headers.range = `bytes=${offset}-`;
      const res = await this.upstream.stream(url, { headers, signal, passStatuses: [416] });
      if (res.status === 416) {
        res.body.resume();
        throw new StaleRangeError(`Upstream has fewer than the ${offset} bytes already cached of ${filePath}`);
      }
      let start = 0;
      if (res.status === 206) {
        const m = /^bytes (\d+)-/.exec(res.header('content-range') ?? '');
        start = m ? Number(m[1]) : -1;
      }
      return { start, body: res.body };
    });
  }
}

/** The `rel="next"` target of a Link header. */
function nextLink(link: string | null): string | undefined {
  return link ? /<([^>]+)>;\s*rel="?next"?/.exec(link)?.[1] : undefined;
}
