import { createHmac, randomBytes } from 'node:crypto';
import { log } from '../core/log.js';
import { sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import type { Hub } from './hub.js';
import { addDays, today, WINDOW_DAYS } from './downloads-clock.js';
import { refreshTrending, rollSocialWindows } from './trending.js';

/**
 * Download counts that mean something: one per client, repo and UTC day,
 * whatever the client fetched that day (one file or a whole snapshot, a git
 * clone and a fetch). What is a download is decided at the edge (resolve and
 * git, see src/http/api/social.ts); this module counts.
 *
 * Counting runs beside the response, never in front of it: `countDownload`
 * starts the write and returns at once. The write is one transaction that
 * inserts the (repo, day, client) row, and only if that row was new, adds
 * one to the day's count and recomputes `repos.downloads` (last 30 days) and
 * `repos.downloads_all_time`. The unique key decides between concurrent
 * requests of one client, on SQLite and PostgreSQL alike. Pending writes are
 * tracked so that readers of the numbers (`downloadStats`) and shutdown
 * (`settleDownloads`) wait for them: no count is lost or read stale.
 */

export interface DownloadClient {
  /** the signed-in user, if any: a person counts once whatever their address */
  userId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export function downloadClient(actor: Actor, ip: string | undefined, userAgent: string | undefined): DownloadClient {
  return actor.kind === 'user' ? { userId: actor.user.id } : { ip, userAgent };
}

const SALT_KEY = 'downloads.client_salt';
const salts = new WeakMap<Hub, Promise<Buffer>>();

/**
 * Anonymous clients are told apart by address and User-Agent, stored only as
 * an HMAC under a secret salt kept in `settings` (shared by every process of
 * the hub), and only for the current day.
 */
function saltOf(hub: Hub): Promise<Buffer> {
  let salt = salts.get(hub);
  if (!salt) {
    salt = (async () => {
      const fresh = randomBytes(32).toString('hex');
      await hub.db.insertInto('settings').values({ key: SALT_KEY, value: fresh }).onConflict((oc) => oc.column('key').doNothing()).execute();
      const row = await hub.db.selectFrom('settings').select('value').where('key', '=', SALT_KEY).executeTakeFirstOrThrow();
      return Buffer.from(row.value, 'hex');
    })();
    salt.catch(() => salts.delete(hub));
    salts.set(hub, salt);
  }
  return salt;
}

export async function clientKey(hub: Hub, client: DownloadClient): Promise<string> {
  if (client.userId) return `u:${client.userId}`;
  const mac = createHmac('sha256', await saltOf(hub)).update(`${client.ip ?? ''}\n${client.userAgent ?? ''}`).digest('base64url');
  return `a:${mac}`;
}

/**
 * Counts one download unless this client already counted for this repo on
 * `day`. Returns whether it counted. A repo deleted meanwhile is no error.
 */
export async function recordDownload(hub: Hub, repoId: string, key: string, day: string): Promise<boolean> {
  const cutoff = addDays(day, -(WINDOW_DAYS - 1));
  try {
    return await hub.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('repo_download_clients')
        .values({ repo_id: repoId, day, client_key: key })
        .onConflict((oc) => oc.columns(['repo_id', 'day', 'client_key']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
      await trx
        .insertInto('repo_downloads')
        .values({ repo_id: repoId, day, downloads: 1 })
        .onConflict((oc) => oc.columns(['repo_id', 'day']).doUpdateSet({ downloads: sql<number>`repo_downloads.downloads + 1` }))
        .execute();
      await trx
        .updateTable('repos')
        .set({
          downloads: sql<number>`coalesce((select sum(d.downloads) from repo_downloads d where d.repo_id = ${repoId} and d.day >= ${cutoff} and d.day <= ${day}), 0)`,
          downloads_all_time: sql<number>`downloads_all_time + 1`,
        })
        .where('id', '=', repoId)
        .execute();
      return true;
    });
  } catch (err) {
    if (/foreign key/i.test(String(err))) return false;
    throw err;
  }
}

const pending = new WeakMap<Hub, Set<Promise<void>>>();

/**
 * (repo, client) pairs this process already wrote today: a snapshot of a
 * thousand files then costs one transaction, not a thousand. Only a shortcut;
 * the unique key in the database stays the rule (several processes, restarts).
 */
const seenToday = new WeakMap<Hub, { day: string; keys: Set<string> }>();
const MAX_SEEN = 100_000;

/**
 * Counts a download in the background: the clock is read now (the request's
 * day), the write happens beside the response. Failures are logged; they
 * never fail the download itself.
 */
export function countDownload(hub: Hub, repoId: string, client: DownloadClient): void {
  const day = today(hub);
  const work = (async () => {
    await rollSocialWindows(hub);
    const key = await clientKey(hub, client);
    let seen = seenToday.get(hub);
    if (seen?.day !== day) seenToday.set(hub, (seen = { day, keys: new Set() }));
    const pair = `${repoId}\n${key}`;
    if (seen.keys.has(pair)) return;
    const counted = await recordDownload(hub, repoId, key, day);
    if (seen.keys.size >= MAX_SEEN) seen.keys.clear();
    seen.keys.add(pair);
    if (counted) await refreshTrending(hub, [repoId], day);
  })().catch((err: unknown) => log.error('counting a download failed', err, { repo_id: repoId }));
  let set = pending.get(hub);
  if (!set) pending.set(hub, (set = new Set()));
  set.add(work);
  void work.finally(() => set.delete(work));
}

/** Resolves once every download counted so far is written. */
export async function settleDownloads(hub: Hub): Promise<void> {
  for (;;) {
    const set = pending.get(hub);
    if (!set || set.size === 0) return;
    await Promise.all([...set]);
  }
}

export interface DownloadStats {
  allTime: number;
  last30Days: number;
  /** the last 30 days, oldest first, days without downloads included */
  daily: { day: string; count: number }[];
}

export async function downloadStats(hub: Hub, repoId: string): Promise<DownloadStats> {
  await settleDownloads(hub);
  await rollSocialWindows(hub);
  const day = today(hub);
  const from = addDays(day, -(WINDOW_DAYS - 1));
  const rows = await hub.db
    .selectFrom('repo_downloads')
    .select(['day', 'downloads'])
    .where('repo_id', '=', repoId)
    .where('day', '>=', from)
    .where('day', '<=', day)
    .execute();
  const byDay = new Map(rows.map((r) => [r.day, Number(r.downloads)]));
  const daily = Array.from({ length: WINDOW_DAYS }, (_, i) => {
    const d = addDays(from, i);
    return { day: d, count: byDay.get(d) ?? 0 };
  });
  const total = await hub.db
    .selectFrom('repo_downloads')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('downloads'), sql<number>`0`).as('n'))
    .where('repo_id', '=', repoId)
    .executeTakeFirstOrThrow();
  return { allTime: Number(total.n), last30Days: daily.reduce((n, d) => n + d.count, 0), daily };
}
