import { sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { isSiteAdmin, roleIn, tokenAllows } from '../auth/policy.js';
import { HubError } from '../core/errors.js';
import { formatSize } from '../core/sizes.js';
import type { Hub } from './hub.js';
import { canonicalNamespace } from './orgs.js';

/**
 * Upload quotas per namespace (a user or an org), set by site admins.
 *
 * What counts: the LFS objects of the namespace's repos, each distinct
 * object once, whether a commit references it (in any indexed tree, so
 * history included) or it was only uploaded (`lfs_uploads`). Counting
 * uploads closes the door to storing without committing; the cost is that
 * uploads never committed keep counting until an LFS clean-up exists (a
 * later issue). Regular git files are not counted: they are small by
 * design (the clients send large and binary files through LFS, and an API
 * commit line is capped by ORCHARD_MAX_COMMIT_LINE_BYTES). Objects are
 * shared by content between namespaces, but each namespace is charged for
 * what it references. Usage is computed on demand from the index.
 *
 * Enforcement: the LFS batch refuses the objects that would take the
 * namespace past its quota, the signed PUT checks again (a URL signed
 * before a quota was set or lowered), and an API commit that would add LFS
 * objects to the namespace's history is refused while the namespace is over
 * its quota. Concurrent uploads can overshoot by what is in flight.
 */

/** What `GET /api/admin/quotas/{namespace}` answers. */
export interface QuotaReport {
  namespace: string;
  /** null: no quota */
  maxBytes: number | null;
  usedBytes: number;
}

type HubDb = Pick<Hub, 'db'>;


/** The quota of a namespace in bytes, or undefined when it has none. */
export async function quotaOf(hub: HubDb, namespace: string): Promise<number | undefined> {
  const row = await hub.db.selectFrom('quotas').select('max_bytes').where('namespace_lc', '=', namespace.toLowerCase()).executeTakeFirst();
  return row ? Number(row.max_bytes) : undefined;
}

/** The namespace's LFS objects (uploaded or committed), or only those named in `oids`. */
function namespaceObjects(namespace: string, opts: { committedOnly?: boolean; oids?: string[] } = {}) {
  const ns = namespace.toLowerCase();
  const onlyOids = (column: string) => (opts.oids ? sql`AND ${sql.ref(column)} IN (${sql.join(opts.oids)})` : sql``);
  const uploads = opts.committedOnly
    ? sql``
    : sql`SELECT u.oid AS oid, u.size AS size FROM lfs_uploads u JOIN repos r ON r.id = u.repo_id
          WHERE lower(r.namespace) = ${ns} ${onlyOids('u.oid')} UNION ALL `;
  return sql`${uploads}SELECT t.lfs_oid AS oid, t.lfs_size AS size FROM tree_entries t JOIN repos r ON r.id = t.repo_id
          WHERE lower(r.namespace) = ${ns} AND t.lfs_oid IS NOT NULL ${onlyOids('t.lfs_oid')}`;
}

/** Bytes a namespace uses: its distinct LFS objects, committed or only uploaded. */
export async function namespaceUsage(hub: HubDb, namespace: string): Promise<number> {
  const { rows } = await sql<{ used: string | number | null }>`
    SELECT COALESCE(SUM(size), 0) AS used FROM (
      SELECT o.oid AS oid, MAX(o.size) AS size FROM (${namespaceObjects(namespace)}) o GROUP BY o.oid
    ) d`.execute(hub.db);
  return Number(rows[0]?.used ?? 0);
}

/** Which of `oids` the namespace already holds (so adding them costs nothing). */
async function heldObjects(hub: HubDb, namespace: string, oids: string[], committedOnly = false): Promise<Set<string>> {
  if (oids.length === 0) return new Set();
  const { rows } = await sql<{ oid: string }>`SELECT DISTINCT o.oid AS oid FROM (${namespaceObjects(namespace, { committedOnly, oids })}) o`.execute(hub.db);
  return new Set(rows.map((r) => r.oid));
}

function overQuotaMessage(namespace: string, used: number, max: number, needed: number): string {
  return (
    `Storage quota exceeded for ${namespace}: ${formatSize(used)} of ${formatSize(max)} used` +
    (needed ? `, and this upload needs ${formatSize(needed)} more` : '') +
    '. Delete unused repos or ask a site admin to raise the quota.'
  );
}

/**
 * The objects of an upload that would take the namespace past its quota,
 * with the message to show; empty when there is no quota. Objects the
 * namespace already holds are free; the others are admitted in order while
 * they fit.
 */
export async function quotaRefusals(hub: HubDb, namespace: string, objects: { oid: string; size: number }[]): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  const max = await quotaOf(hub, namespace);
  if (max === undefined || objects.length === 0) return refused;
  const held = await heldObjects(hub, namespace, [...new Set(objects.map((o) => o.oid))]);
  let used = await namespaceUsage(hub, namespace);
  for (const { oid, size } of objects) {
    if (held.has(oid)) continue;
    if (used + size > max) {
      refused.set(oid, overQuotaMessage(namespace, used, max, size));
      continue;
    }
    used += size;
    held.add(oid);
  }
  return refused;
}

/** Throws `QuotaExceeded` when storing this object would take the namespace past its quota. */
export async function checkUploadQuota(hub: HubDb, namespace: string, oid: string, size: number): Promise<void> {
  const refused = (await quotaRefusals(hub, namespace, [{ oid, size }])).get(oid);
  if (refused) throw new HubError('QuotaExceeded', refused);
}

/**
 * Throws `QuotaExceeded` when a commit would add LFS objects to the
 * namespace's history while the namespace is over its quota. The objects
 * were uploaded first and so already count: a commit adds no bytes unless
 * the quota was lowered or uploads raced past it.
 */
export async function checkCommitQuota(hub: HubDb, namespace: string, lfsOids: string[]): Promise<void> {
  if (lfsOids.length === 0) return;
  const max = await quotaOf(hub, namespace);
  if (max === undefined) return;
  const committed = await heldObjects(hub, namespace, [...new Set(lfsOids)], true);
  if (lfsOids.every((oid) => committed.has(oid))) return;
  const used = await namespaceUsage(hub, namespace);
  if (used > max) throw new HubError('QuotaExceeded', overQuotaMessage(namespace, used, max, 0));
}

/**
 * May the actor read a namespace's quota and usage? Site admins, and the
 * namespace's own admins: the user themselves, an org's admins (with any
 * token that can at least read there).
 */
function canReadQuota(actor: Actor, namespace: string): boolean {
  if (isSiteAdmin(actor)) return true;
  if (roleIn(actor, namespace) !== 'admin') return false;
  return tokenAllows(actor, 'repo.admin', { namespace }) || tokenAllows(actor, 'repo.content.read', { namespace });
}

/** `GET /api/admin/quotas/{namespace}`: the quota and what is used. */
export async function quotaReport(hub: HubDb, actor: Actor, namespace: string): Promise<QuotaReport> {
  if (actor.kind !== 'user') throw new HubError('Unauthorized', 'You must be authenticated');
  if (!canReadQuota(actor, namespace)) throw new HubError('Forbidden', `Only site admins and the admins of ${namespace} can read its quota`);
  return readQuota(hub, namespace);
}

/** A namespace's quota and usage, without authorisation (the CLI; routes use `quotaReport`). */
export async function readQuota(hub: HubDb, namespace: string): Promise<QuotaReport> {
  const name = await canonicalNamespace(hub.db, namespace);
  return { namespace: name, maxBytes: (await quotaOf(hub, name)) ?? null, usedBytes: await namespaceUsage(hub, name) };
}

/**
 * Sets (or with null or 0 removes) a namespace's quota. Callers authorise:
 * the HTTP route requires a site admin, the CLI runs with the operator's
 * access to the data folder. Answers the new report and the previous quota.
 */
export async function setQuota(hub: HubDb, namespace: string, maxBytes: number | null): Promise<{ report: QuotaReport; previous: number | null }> {
  if (maxBytes !== null && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) throw new HubError('BadRequest', 'maxBytes must be a whole number of bytes, or null');
  const name = await canonicalNamespace(hub.db, namespace);
  const lc = name.toLowerCase();
  const previous = (await quotaOf(hub, name)) ?? null;
  if (!maxBytes) {
    await hub.db.deleteFrom('quotas').where('namespace_lc', '=', lc).execute();
  } else {
    await hub.db
      .insertInto('quotas')
      .values({ namespace_lc: lc, max_bytes: maxBytes })
      .onConflict((oc) => oc.column('namespace_lc').doUpdateSet({ max_bytes: maxBytes }))
      .execute();
  }
  return { report: { namespace: name, maxBytes: maxBytes || null, usedBytes: await namespaceUsage(hub, name) }, previous };
}
