import { sql, type Kysely } from 'kysely';
import type { Db, Dialect, OpenedDb } from '../db/database.js';

/**
 * Copying every table of one metadata database into another of either
 * dialect, for `orchard migrate-storage` (docs/storage.md). Both sides have
 * had the same migrations applied (openDatabase), so the tables and columns
 * match; this module discovers them from the databases' own catalogues
 * rather than from a list, so that a table added by a later migration is
 * copied without anyone remembering to add it here.
 */

/** The resumable record kept in the target while a migration runs; dropped when it has been verified. */
export const PROGRESS_TABLE = 'orchard_migrate_progress';

export interface TableInfo {
  name: string;
  /** Columns the target accepts (generated columns left out). */
  columns: string[];
  /** Primary key columns (all columns when there is none): the copy order, and where a resumed copy continues. */
  key: string[];
}

const raw = (db: Kysely<any>) => db as Kysely<any>;
const ident = (name: string) => sql.id(name);

/** Tables that are the database's or the tool's own, not the hub's data. */
function isBookkeeping(name: string): boolean {
  return name.startsWith('kysely_migration') || name === PROGRESS_TABLE || name.startsWith('sqlite_');
}

async function tableNames(o: OpenedDb): Promise<string[]> {
  if (o.dialect === 'sqlite') {
    const rows = (await sql<{ name: string; sql: string | null }>`select name, sql from sqlite_master where type = 'table'`.execute(o.db)).rows;
    // Full-text tables (0017) are virtual, with shadow tables named after them; triggers on the target fill its own.
    const virtual = rows.filter((r) => /^create virtual table/i.test(r.sql ?? '')).map((r) => r.name);
    return rows.map((r) => r.name).filter((n) => !isBookkeeping(n) && !virtual.some((v) => n === v || n.startsWith(`${v}_`)));
  }
  const rows = (await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(o.db)).rows;
  return rows.map((r) => r.table_name).filter((n) => !isBookkeeping(n));
}

async function columnsOf(o: OpenedDb, table: string): Promise<{ columns: string[]; key: string[] }> {
  if (o.dialect === 'sqlite') {
    // table_xinfo: `hidden` 2 and 3 are generated columns.
    const cols = (await sql<{ name: string; pk: number; hidden: number }>`select name, pk, hidden from pragma_table_xinfo(${table})`.execute(o.db)).rows;
    const columns = cols.filter((c) => c.hidden === 0).map((c) => c.name);
    const key = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    return { columns, key: key.length ? key : columns };
  }
  const cols = (await sql<{ column_name: string }>`
    select column_name from information_schema.columns
    where table_schema = current_schema() and table_name = ${table} and is_generated = 'NEVER'
    order by ordinal_position`.execute(o.db)).rows.map((c) => c.column_name);
  const key = (await sql<{ attname: string }>`
    select a.attname from pg_index i
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident(${table}))::regclass and i.indisprimary
    order by array_position(i.indkey, a.attnum)`.execute(o.db)).rows.map((r) => r.attname);
  return { columns: cols, key: key.length ? key : cols };
}

async function foreignKeys(o: OpenedDb, table: string): Promise<string[]> {
  if (o.dialect === 'sqlite') {
    return (await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${table})`.execute(o.db)).rows.map((r) => r.table);
  }
  return (await sql<{ ref: string }>`
    select distinct ccu.table_name as ref from information_schema.table_constraints tc
    join information_schema.constraint_column_usage ccu on tc.constraint_name = ccu.constraint_name and tc.table_schema = ccu.table_schema
    where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = current_schema() and tc.table_name = ${table}`.execute(o.db)).rows.map((r) => r.ref);
}

/**
 * The tables to copy, parents before children (by the target's foreign
 * keys), with the target's columns. A table on only one side is left out
 * and named in `onlyOneSide` (e.g. a dialect's own search table).
 */
export async function planTables(source: OpenedDb, target: OpenedDb): Promise<{ tables: TableInfo[]; onlyOneSide: string[] }> {
  const inSource = new Set(await tableNames(source));
  const inTarget = new Set(await tableNames(target));
  const common = [...inTarget].filter((t) => inSource.has(t)).sort();
  const onlyOneSide = [...inSource, ...inTarget].filter((t) => !(inSource.has(t) && inTarget.has(t))).sort();
  const deps = new Map<string, string[]>();
  for (const t of common) deps.set(t, (await foreignKeys(target, t)).filter((r) => r !== t && common.includes(r)));
  const ordered: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: string): void => {
    if (state.get(t) === 'done') return;
    if (state.get(t) === 'visiting') throw new Error(`foreign keys form a cycle through ${t}`);
    state.set(t, 'visiting');
    for (const d of deps.get(t) ?? []) visit(d);
    state.set(t, 'done');
    ordered.push(t);
  };
  common.forEach(visit);
  const tables: TableInfo[] = [];
  for (const name of ordered) {
    const target_ = await columnsOf(target, name);
    const sourceCols = new Set((await columnsOf(source, name)).columns);
    const missing = target_.columns.filter((c) => !sourceCols.has(c));
    if (missing.length) throw new Error(`table ${name}: columns ${missing.join(', ')} are not in the source (are both at the same version?)`);
    tables.push({ name, columns: target_.columns, key: target_.key });
  }
  return { tables, onlyOneSide };
}

/** Values as the target's driver takes them: SQLite binds no Date, boolean nor object. */
function forTarget(dialect: Dialect, v: unknown): unknown {
  if (dialect !== 'sqlite' || v === null || v === undefined) return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object' && !Buffer.isBuffer(v)) return JSON.stringify(v);
  return v;
}

export interface ProgressRow {
  table_name: string;
  copied: number;
  /** JSON array of the last copied row's key, or null before the first batch. */
  last_key: string | null;
  done: number;
}

export async function createProgressTable(db: Db): Promise<void> {
  await raw(db).schema
    .createTable(PROGRESS_TABLE)
    .ifNotExists()
    .addColumn('table_name', 'text', (c) => c.primaryKey())
    .addColumn('copied', 'bigint', (c) => c.notNull())
    .addColumn('last_key', 'text')
    .addColumn('done', 'integer', (c) => c.notNull())
    .execute();
}

export async function hasProgressTable(o: OpenedDb): Promise<boolean> {
  const n = o.dialect === 'sqlite'
    ? (await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = ${PROGRESS_TABLE}`.execute(o.db)).rows[0]!.n
    : (await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = current_schema() and table_name = ${PROGRESS_TABLE}`.execute(o.db)).rows[0]!.n;
  return Number(n) > 0;
}

export async function readProgress(db: Db): Promise<Map<string, ProgressRow>> {
  const rows = (await raw(db).selectFrom(PROGRESS_TABLE).selectAll().execute()) as ProgressRow[];
  return new Map(rows.map((r) => [r.table_name, { ...r, copied: Number(r.copied), done: Number(r.done) }]));
}

export async function countRows(db: Db, table: string): Promise<number> {
  const r = await raw(db).selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Empties the target's copies of the tables, children first: a new database
 * holds rows its migrations wrote (a fresh signing secret, default settings),
 * which the source's own rows replace.
 */
export async function clearTables(db: Db, tables: TableInfo[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const t of [...tables].reverse()) await raw(trx).deleteFrom(t.name).execute();
  });
}

/**
 * Copies one table in batches, in key order, each batch in one target
 * transaction together with its progress row: an interrupted copy resumes
 * after the last batch that committed, and no row is written twice (`on
 * conflict do nothing` guards the rest).
 */
export async function copyTable(source: OpenedDb, target: OpenedDb, t: TableInfo, progress: ProgressRow | undefined, batchRows: number, onBatch: (copied: number) => void): Promise<number> {
  if (progress?.done) return progress.copied;
  let copied = progress?.copied ?? 0;
  let lastKey: unknown[] | null = progress?.last_key ? (JSON.parse(progress.last_key) as unknown[]) : null;
  // Both SQLite and PostgreSQL cap the parameters of one statement (32,766 and 65,535).
  const batch = Math.max(1, Math.min(batchRows, Math.floor(30_000 / t.columns.length)));
  for (;;) {
    let q = raw(source.db).selectFrom(t.name).select(t.columns.map((c) => sql.ref(c).as(c)));
    if (lastKey) {
      const k = lastKey;
      // Row-value comparison: both dialects compare (a, b) > (x, y) lexicographically, as `order by a, b` sorts.
      q = q.where(sql<boolean>`(${sql.join(t.key.map(ident))}) > (${sql.join(k)})`);
    }
    for (const c of t.key) q = q.orderBy(sql.ref(c));
    const rows = (await q.limit(batch).execute()) as Record<string, unknown>[];
    if (rows.length === 0) break;
    const last = rows[rows.length - 1]!;
    lastKey = t.key.map((c) => last[c] instanceof Date ? (last[c] as Date).toISOString() : last[c]);
    copied += rows.length;
    const values = rows.map((r) => Object.fromEntries(t.columns.map((c) => [c, forTarget(target.dialect, r[c])])));
    await target.db.transaction().execute(async (trx) => {
      await raw(trx).insertInto(t.name).values(values).onConflict((oc) => oc.doNothing()).execute();
      await saveProgress(trx, { table_name: t.name, copied, last_key: JSON.stringify(lastKey), done: 0 });
    });
    onBatch(copied);
    if (rows.length < batch) break;
  }
  await saveProgress(target.db, { table_name: t.name, copied, last_key: lastKey ? JSON.stringify(lastKey) : null, done: 1 });
  return copied;
}

export async function saveProgress(db: Kysely<any>, row: ProgressRow): Promise<void> {
  await raw(db)
    .insertInto(PROGRESS_TABLE)
    .values(row)
    .onConflict((oc) => oc.column('table_name').doUpdateSet({ copied: row.copied, last_key: row.last_key, done: row.done }))
    .execute();
}
