import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { HubError } from '../core/errors.js';
import { type RepoType, repoFullName } from '../core/repo-id.js';
import { nowIso } from '../core/time.js';
import type { Db } from '../db/database.js';
import type { ReplicationsTable } from '../db/schema-mirror-replication.js';
import { type RemoteRepo, remoteDisplay } from './replicate-remote.js';

export type ReplicationRow = Selectable<ReplicationsTable>;
export type Direction = ReplicationsTable['direction'];

/** The other end of a replication row as a RemoteRepo. */
export function remoteOf(row: ReplicationRow): RemoteRepo {
  const [namespace, name] = row.remote_repo.split('/');
  return { base: row.url, ref: { type: row.remote_type as RepoType, namespace: namespace!, name: name! } };
}

/** Where the token for a row comes from: stored, or an environment variable of the process that syncs. */
export function tokenOf(row: Pick<ReplicationRow, 'token' | 'token_env'>, env: NodeJS.ProcessEnv): string | undefined {
  if (row.token_env) {
    const t = env[row.token_env];
    if (!t) throw new HubError('BadRequest', `The token for this replication is in the environment variable ${row.token_env}, which this process does not have`);
    return t;
  }
  return row.token ?? undefined;
}

export async function findLink(db: Db, repoId: string, direction: Direction, remote?: RemoteRepo): Promise<ReplicationRow | undefined> {
  let q = db.selectFrom('replications').selectAll().where('repo_id', '=', repoId).where('direction', '=', direction);
  if (remote) q = q.where('url', '=', remote.base).where('remote_type', '=', remote.ref.type).where('remote_repo', '=', repoFullName(remote.ref));
  return q.orderBy('created_at').executeTakeFirst();
}

export interface Credentials {
  /** undefined: keep what is stored; null: forget it */
  token?: string | null | undefined;
  tokenEnv?: string | null | undefined;
}

/** Creates or updates the row for one link; returns it. Credentials given replace the stored ones. */
export async function saveLink(db: Db, repoId: string, direction: Direction, remote: RemoteRepo, creds: Credentials, intervalSeconds?: number | null): Promise<ReplicationRow> {
  const existing = await findLink(db, repoId, direction, remote);
  const credPatch =
    creds.token !== undefined || creds.tokenEnv !== undefined ? { token: creds.tokenEnv ? null : (creds.token ?? null), token_env: creds.tokenEnv ?? null } : {};
  const schedulePatch = intervalSeconds !== undefined ? { interval_seconds: intervalSeconds, next_run_at: intervalSeconds ? new Date(Date.now() + intervalSeconds * 1000).toISOString() : null } : {};
  if (existing) {
    if (Object.keys(credPatch).length || Object.keys(schedulePatch).length) {
      await db.updateTable('replications').set({ ...credPatch, ...schedulePatch }).where('id', '=', existing.id).execute();
    }
    return { ...existing, ...credPatch, ...schedulePatch };
  }
  const row: ReplicationRow = {
    id: randomUUID(), repo_id: repoId, direction, url: remote.base, remote_type: remote.ref.type, remote_repo: repoFullName(remote.ref),
    remote_id: null, token: null, token_env: null, interval_seconds: null, next_run_at: null, claimed_until: null, claimed_by: null,
    last_sync_at: null, last_status: 'never', last_error: null, refs: null, created_at: nowIso(), ...credPatch, ...schedulePatch,
  };
  await db.insertInto('replications').values(row).execute();
  return row;
}

/** How long a claim holds before another process may take the row over (renewed while the sync runs). */
export const LEASE_MS = 5 * 60_000;

/**
 * Claims a row for one sync: a conditional UPDATE that succeeds for exactly
 * one caller while the row is free or its lease ran out, so that several
 * processes (the hub's scheduler, a CLI run) never run one repo's sync twice
 * at once. The next scheduled run is set at the same time, so that a failing
 * sync waits for its interval instead of retrying in a loop.
 */
export async function claim(db: Db, row: Pick<ReplicationRow, 'id' | 'interval_seconds'>, owner: string): Promise<boolean> {
  const now = new Date();
  const r = await db
    .updateTable('replications')
    .set({
      claimed_by: owner,
      claimed_until: new Date(now.getTime() + LEASE_MS).toISOString(),
      ...(row.interval_seconds ? { next_run_at: new Date(now.getTime() + row.interval_seconds * 1000).toISOString() } : {}),
    })
    .where('id', '=', row.id)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now.toISOString())]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function renew(db: Db, id: string, owner: string): Promise<void> {
  await db.updateTable('replications').set({ claimed_until: new Date(Date.now() + LEASE_MS).toISOString() }).where('id', '=', id).where('claimed_by', '=', owner).execute();
}

/** Records how a sync ended and frees the row. */
export async function release(db: Db, id: string, owner: string, result: { ok: true; refs: Map<string, string>; remoteId?: string | undefined } | { ok: false; error: string }): Promise<void> {
  await db
    .updateTable('replications')
    .set({
      claimed_by: null,
      claimed_until: null,
      last_sync_at: nowIso(),
      last_status: result.ok ? 'ok' : 'error',
      last_error: result.ok ? null : result.error.slice(0, 2000),
      ...(result.ok ? { refs: JSON.stringify(Object.fromEntries(result.refs)) } : {}),
      ...(result.ok && result.remoteId ? { remote_id: result.remoteId } : {}),
    })
    .where('id', '=', id)
    .where('claimed_by', '=', owner)
    .execute();
}

/**
 * Runs `fn` while holding the row's claim, renewing the lease as it goes,
 * and records the outcome. Refuses (Conflict) when another sync holds it.
 */
export async function withClaim<T extends { refs: Map<string, string>; remoteId?: string | undefined }>(db: Db, row: ReplicationRow, owner: string, fn: () => Promise<T>): Promise<T> {
  if (!(await claim(db, row, owner))) {
    const now = await db.selectFrom('replications').select(['claimed_by', 'claimed_until']).where('id', '=', row.id).executeTakeFirst();
    throw new HubError('Conflict', `A sync of this repo with ${remoteDisplay(remoteOf(row))} is already running (${now?.claimed_by ?? 'another process'}, until ${now?.claimed_until ?? '?'})`);
  }
  const timer = setInterval(() => void renew(db, row.id, owner).catch(() => undefined), LEASE_MS / 3);
  timer.unref();
  try {
    const result = await fn();
    await release(db, row.id, owner, { ok: true, refs: result.refs, remoteId: result.remoteId });
    return result;
  } catch (err) {
    await release(db, row.id, owner, { ok: false, error: err instanceof Error ? err.message : String(err) }).catch(() => undefined);
    throw err;
  } finally {
    clearInterval(timer);
  }
}

/** Rows whose scheduled time has come and that nobody holds. */
export async function dueLinks(db: Db, limit: number): Promise<ReplicationRow[]> {
  const now = nowIso();
  return db
    .selectFrom('replications')
    .selectAll()
    .where('interval_seconds', 'is not', null)
    .where('next_run_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .orderBy('next_run_at')
    .limit(limit)
    .execute();
}

/** What repo info and the repo page say about where a repo came from (no token, ever). */
export interface SourceInfo {
  kind: 'pull' | 'import';
  source: string;
  upstreamId: string | null;
  lastSyncAt: string | null;
  status: ReplicationRow['last_status'];
  error?: string;
  readOnly: boolean;
  schedule: { everySeconds: number; nextRunAt: string | null } | null;
}

export async function sourceInfo(db: Db, repoId: string): Promise<SourceInfo | undefined> {
  const row = await db.selectFrom('replications').selectAll().where('repo_id', '=', repoId).where('direction', 'in', ['pull', 'import']).executeTakeFirst();
  if (!row) return undefined;
  const source = row.url.startsWith('bundle:') ? `${row.url}${row.remote_repo}` : remoteDisplay(remoteOf(row));
  return {
    kind: row.direction === 'import' ? 'import' : 'pull',
    source,
    upstreamId: row.remote_id,
    lastSyncAt: row.last_sync_at,
    status: row.last_status,
    ...(row.last_error ? { error: row.last_error } : {}),
    readOnly: row.direction === 'pull',
    schedule: row.interval_seconds ? { everySeconds: row.interval_seconds, nextRunAt: row.next_run_at } : null,
  };
}

