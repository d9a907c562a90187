import { sql } from 'kysely';
import { log } from '../core/log.js';
import type { Hub } from './hub.js';
import { addDays, daysBetween, today, WINDOW_DAYS } from './downloads-clock.js';

/**
 * Trending: recent activity, decayed. A repo's score on day T is
 *
 *     Σ over the days d of the last TRENDING_DAYS (T included)
 *       (downloads on d + LIKE_WEIGHT × likes given on d) × 0.5^((T − d) / HALF_LIFE_DAYS)
 *
 * so a like or a download counts fully today, half two days later, and not at
 * all after a week. Likes weigh more than downloads because they are
 * deliberate and rare (a download is counted once per client and day, see
 * downloads.ts); a like withdrawn no longer counts.
 *
 * The score is stored in `repos.trending_score` (indexed like the other sort
 * orders) and recomputed for a repo whenever it is liked, unliked or
 * downloaded, and for every repo with a score once a day when the window
 * moves (`rollSocialWindows`), which is what makes yesterday's activity decay.
 */
export const TRENDING_DAYS = 7;
export const HALF_LIFE_DAYS = 2;
export const LIKE_WEIGHT = 10;

export interface DayActivity {
  day: string;
  downloads: number;
  likes: number;
}

export function trendingScore(activity: DayActivity[], on: string): number {
  let score = 0;
  for (const a of activity) {
    const age = daysBetween(a.day, on);
    if (age < 0 || age >= TRENDING_DAYS) continue;
    score += (a.downloads + LIKE_WEIGHT * a.likes) * 0.5 ** (age / HALF_LIFE_DAYS);
  }
  return score;
}

/** The integer the API shows (the Hub's `trendingScore` is an integer); sorting uses the stored value. */
export function shownTrendingScore(stored: number): number {
  return Math.round(stored);
}

/** Recomputes the trending score of some repos as of `day` (today by default). */
export async function refreshTrending(hub: Hub, repoIds: string[], day = today(hub)): Promise<void> {
  const from = addDays(day, -(TRENDING_DAYS - 1));
  for (let i = 0; i < repoIds.length; i += 500) {
    const ids = repoIds.slice(i, i + 500);
    const activity = new Map<string, DayActivity[]>(ids.map((id) => [id, []]));
    const downloads = await hub.db
      .selectFrom('repo_downloads')
      .select(['repo_id', 'day', 'downloads'])
      .where('repo_id', 'in', ids)
      .where('day', '>=', from)
      .where('day', '<=', day)
      .execute();
    for (const d of downloads) activity.get(d.repo_id)?.push({ day: d.day, downloads: Number(d.downloads), likes: 0 });
    const likeDay = sql<string>`substr(created_at, 1, 10)`;
    const likes = await hub.db
      .selectFrom('repo_likes')
      .select(['repo_id', likeDay.as('day'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('repo_id', 'in', ids)
      .where('created_at', '>=', `${from}T00:00:00.000Z`)
      .where('created_at', '<', `${addDays(day, 1)}T00:00:00.000Z`)
      .groupBy(['repo_id', likeDay])
      .execute();
    for (const l of likes) activity.get(l.repo_id)?.push({ day: l.day, downloads: 0, likes: Number(l.n) });
    for (const [id, days] of activity) {
      await hub.db.updateTable('repos').set({ trending_score: trendingScore(days, day) }).where('id', '=', id).execute();
    }
  }
}

const rolled = new WeakMap<Hub, { day: string; done: Promise<void> }>();

/**
 * Moves the 30-day download window and the trending window to today, once
 * per day and process (the day is also kept in `settings`, so several
 * processes of one hub do it about once). Called before anything reads or
 * writes these numbers: listings, repo info, download counts, likes. Every
 * step recomputes from the daily tables, so running it twice is harmless.
 */
export function rollSocialWindows(hub: Hub): Promise<void> {
  const day = today(hub);
  const current = rolled.get(hub);
  if (current?.day === day) return current.done;
  const done = roll(hub, day).catch((err: unknown) => {
    rolled.delete(hub);
    log.error('moving the download and trending windows failed', err);
  });
  rolled.set(hub, { day, done });
  return done;
}

const ROLLED_KEY = 'social.window_day';

async function roll(hub: Hub, day: string): Promise<void> {
  const prev = await hub.db.selectFrom('settings').select('value').where('key', '=', ROLLED_KEY).executeTakeFirst();
  if (prev?.value === day) return;
  const cutoff = addDays(day, -(WINDOW_DAYS - 1));
  await hub.db
    .updateTable('repos')
    .set({ downloads: sql<number>`coalesce((select sum(d.downloads) from repo_downloads d where d.repo_id = repos.id and d.day >= ${cutoff} and d.day <= ${day}), 0)` })
    .where((eb) => eb.or([eb('downloads', '>', 0), eb('id', 'in', eb.selectFrom('repo_downloads').select('repo_id').where('day', '>=', cutoff))]))
    .execute();
  const from = addDays(day, -(TRENDING_DAYS - 1));
  const scored = await hub.db.selectFrom('repos').select('id').where('trending_score', '>', 0).execute();
  const active = await hub.db.selectFrom('repo_downloads').select('repo_id').distinct().where('day', '>=', from).where('day', '<=', day).execute();
  const liked = await hub.db.selectFrom('repo_likes').select('repo_id').distinct().where('created_at', '>=', `${from}T00:00:00.000Z`).execute();
  await refreshTrending(hub, [...new Set([...scored.map((r) => r.id), ...active.map((r) => r.repo_id), ...liked.map((r) => r.repo_id)])], day);
  // Only today's rows deduplicate anything.
  await hub.db.deleteFrom('repo_download_clients').where('day', '<', day).execute();
  await hub.db
    .insertInto('settings')
    .values({ key: ROLLED_KEY, value: day })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: day }))
    .execute();
}
