import { sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import type { RepoType } from '../core/repo-id.js';
import type { Hub } from './hub.js';
import { accessInfo, type RepoRow } from './repos.js';
import { can } from '../auth/policy.js';
import { rollSocialWindows } from './trending.js';

export interface ListQuery {
  type: RepoType;
  search: string[];
  author: string | undefined;
  /** AND over tags */
  filter: string[];
  sort: string | undefined;
  /** ascending when true (PY < 1.0 `direction=1`) */
  ascending: boolean;
  offset: number;
  limit: number;
}

const SORT_COLUMNS: Record<string, 'downloads' | 'likes' | 'last_modified' | 'created_at' | 'full_name_lc' | 'trending_score' | 'downloads_all_time'> = {
  downloads: 'downloads',
  likes: 'likes',
  likes30d: 'likes',
  trendingScore: 'trending_score',
  downloadsAllTime: 'downloads_all_time',
  lastModified: 'last_modified',
  createdAt: 'created_at',
  id: 'full_name_lc',
  modelId: 'full_name_lc',
};

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Lists repos visible to the actor. Private repos never appear to anyone
 * without read access, so the filter sits in the query itself, before
 * sorting and paging.
 */
/** Fewer candidates than this and a search starts from the trigram index (SQLite). */
const RARE_TERM = 500;

export async function listRepos(hub: Hub, actor: Actor, q: ListQuery): Promise<{ rows: RepoRow[]; hasMore: boolean }> {
  // Downloads (30 days) and trending decay by the day: move their window first (cheap after once a day).
  await rollSocialWindows(hub);
  // Every repo has one of three types: told so, SQLite prefers a selective index (the author's) over
  // walking the sort index of the whole type, which it otherwise does without statistics (migration 0005).
  const ofType = hub.dialect === 'sqlite' ? sql<boolean>`likelihood(type = ${q.type}, 0.9)` : sql<boolean>`type = ${q.type}`;
  let query = hub.db.selectFrom('repos').selectAll().where(ofType);
  if (!(actor.kind === 'user' && actor.user.isAdmin)) {
    // Private repos of the namespaces where the caller has a role: their own and their orgs'.
    const namespaces = actor.kind === 'user' ? [actor.user.name.toLowerCase(), ...actor.memberships.keys()] : [];
    query = query.where((eb) => (namespaces.length ? eb.or([eb('private', '=', 0), eb(sql`lower(namespace)`, 'in', namespaces)]) : eb('private', '=', 0)));
  }
  for (const s of q.search) {
    if (!s) continue;
    // SQLite: a rare term's few candidates come from its trigram index (migration 0017); a common one
    // is found faster by walking the sort order's index until a page is full (bench/ui.ts: 100,000
    // repos, one match 55 → 1.5 ms; 5,000 matches 5 ms either way). The LIKE keeps the exact meaning.
    // PostgreSQL's planner makes that choice itself, with its trigram index for the LIKE.
    if (hub.dialect === 'sqlite' && [...s].length >= 3) {
      const phrase = `"${s.toLowerCase().replace(/"/g, '""')}"`;
      const few = await sql<{ n: number }>`select count(*) as n from (select 1 from repos_name_fts where repos_name_fts match ${phrase} limit ${RARE_TERM})`.execute(hub.db);
      if (Number(few.rows[0]?.n ?? RARE_TERM) < RARE_TERM) {
        query = query.where('id', 'in', sql<string>`(select repo_id from repos_name_fts where repos_name_fts match ${phrase})`);
      }
    }
    query = query.where(sql<boolean>`full_name_lc like ${`%${escapeLike(s.toLowerCase())}%`} escape '\\'`);
  }
  if (q.author) query = query.where(sql`lower(namespace)`, '=', q.author.toLowerCase());
  const tags = [...new Set(q.filter.filter(Boolean))];
  if (tags.length) {
    query = query.where('id', 'in', (eb) =>
      eb
        .selectFrom('repo_tags')
        .select('repo_id')
        .where('tag', 'in', tags)
        .groupBy('repo_id')
        .having(sql`count(*)`, '=', tags.length),
    );
  }
  const column = (q.sort && SORT_COLUMNS[q.sort]) || undefined;
  const dir = q.ascending ? 'asc' : 'desc';
  query = column ? query.orderBy(column, column === 'full_name_lc' && !q.sort?.startsWith('-') ? 'asc' : dir) : query.orderBy('created_at', 'desc');
  query = query.orderBy('id', 'asc');
  const rows = await query.offset(q.offset).limit(q.limit + 1).execute();
  // A scoped token may not reach every private repo its owner can: filter with
  // the policy itself (a page may then be shorter than `limit`, never wrong).
  const visible = rows.slice(0, q.limit).filter((r) => r.private === 0 || can(actor, 'read', accessInfo(r)));
  return { rows: visible, hasMore: rows.length > q.limit };
}

export async function tagsOf(hub: Hub, repoIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (repoIds.length === 0) return out;
  const rows = await hub.db.selectFrom('repo_tags').select(['repo_id', 'tag']).where('repo_id', 'in', repoIds).execute();
  for (const r of rows) {
    const list = out.get(r.repo_id) ?? [];
    list.push(r.tag);
    out.set(r.repo_id, list);
  }
  return out;
}
