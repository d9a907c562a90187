import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Config } from '../config/s3-config.js';
import { sql } from 'kysely';
import { HubError } from '../core/errors.js';
import { LIVENESS_LOCK_CLASS } from '../jobs/graphile-liveness.js';
import { processAlive } from '../storage/process-files.js';
import { openDatabase, type OpenedDb } from '../db/database.js';
import type { BlobStore } from '../storage/blob-store.js';
import { createBlobStore } from '../storage/create-blob-store.js';
import {
  clearTables, copyTable, countRows, createProgressTable, hasProgressTable, planTables, PROGRESS_TABLE, readProgress, saveProgress,
} from './migrate-tables.js';

/**
 * `orchard migrate-storage` (docs/storage.md): moves a stopped hub's
 * metadata database and LFS objects from one backend to another (SQLite +
 * data folder ⇄ PostgreSQL + S3, or any mix). Git repositories stay where
 * they are, in the data folder's `git/`: every setup keeps them on a
 * (shared) file system.
 *
 * Order: tables (parents first, in batches), then objects (streamed; the
 * target store's own `put` checks size and sha256 before an object becomes
 * visible), then verification (row counts, and every object's size and
 * sha256 read back from the target). Progress lives in the target database
 * (`orchard_migrate_progress`), so a run that is interrupted continues with
 * `resume` and copies nothing twice; it is dropped once all is verified.
 */

export type StoreKind = 'folder' | 's3';

export interface MigrateOptions {
  /** The data folder: its `git/` stays; its `lfs/` is the folder store; its `orchard.sqlite` the default database. */
  dataDir: string;
  fromDatabase: string | undefined;
  toDatabase: string | undefined;
  fromStore: StoreKind;
  toStore: StoreKind;
  /** `ORCHARD_S3_*`, for whichever side is `s3`. */
  s3: S3Config | undefined;
  resume: boolean;
  batchRows: number;
  /** Objects copied at once. */
  concurrency: number;
  log(line: string): void;
}

export interface MigrateReport {
  tables: { name: string; rows: number }[];
  /** Tables that exist on one side only (a dialect's own search index), not copied. */
  skippedTables: string[];
  objects: number;
  objectBytes: number;
  /** Objects the target already had (a resumed run, or a store shared by both sides). */
  objectsAlreadyThere: number;
  resumed: boolean;
}

interface ObjectEntry {
  oid: string;
  size: number;
}

const OID_RE = /^[0-9a-f]{64}$/;

/** Every object of the source store, from the store's own listing (objects no row names are copied too). */
async function listObjects(kind: StoreKind, dataDir: string, s3: S3Config | undefined): Promise<ObjectEntry[]> {
  const out: ObjectEntry[] = [];
  if (kind === 'folder') {
    const root = path.join(dataDir, 'lfs', 'objects');
    const { stat } = await import('node:fs/promises');
    for (const a of await readdir(root).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{2}$/.test(a)) continue;
      for (const b of await readdir(path.join(root, a)).catch(() => [] as string[])) {
        for (const oid of await readdir(path.join(root, a, b)).catch(() => [] as string[])) {
          if (OID_RE.test(oid) && oid.startsWith(a + b)) out.push({ oid, size: (await stat(path.join(root, a, b, oid))).size });
        }
      }
    }
    return out;
  }
  const { s3ClientFor } = await import('../storage/s3-blob-store.js');
  const client = s3ClientFor(s3!);
  try {
    let token: string | undefined;
    do {
      const res = await client.send(new ListObjectsV2Command({ Bucket: s3!.bucket, Prefix: s3!.prefix, ContinuationToken: token }));
      for (const o of res.Contents ?? []) {
        const rest = o.Key!.slice(s3!.prefix.length);
        const oid = rest.slice(6);
        if (OID_RE.test(oid) && rest === `${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`) out.push({ oid, size: o.Size ?? 0 });
      }
      token = res.NextContinuationToken;
    } while (token);
  } finally {
    client.destroy();
  }
  return out;
}

const storeFor = (kind: StoreKind, opts: MigrateOptions): Promise<BlobStore> =>
  createBlobStore({ dataDir: opts.dataDir, uploadWorkers: 2, s3: kind === 's3' ? opts.s3 : undefined });

function describe(kind: StoreKind, opts: MigrateOptions): string {
  return kind === 's3' ? `S3 bucket ${opts.s3!.bucket} (prefix "${opts.s3!.prefix}")` : `folder ${path.join(opts.dataDir, 'lfs')}`;
}

/** Runs `fn` over `items`, `n` at a time, stopping at the first failure. */
async function eachLimited<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/**
 * Hub processes still using the source: on this host, those whose scratch folder (`tmp/<pid>`, made at
 * start, removed at a clean stop) is in the data folder and alive; with a PostgreSQL source, on any host,
 * the job-queue pools that hold their liveness lock in it. A copy taken while they write would miss writes.
 */
async function runningHubs(dataDir: string, source: OpenedDb): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(path.join(dataDir, 'tmp')).catch(() => [] as string[])) {
    const pid = Number(entry);
    if (/^\d+$/.test(entry) && pid !== process.pid && processAlive(pid)) found.push(`process ${pid} on this host`);
  }
  if (source.dialect === 'postgres') {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_locks
      where locktype = 'advisory' and granted and objsubid = 2 and classid = ${LIVENESS_LOCK_CLASS}::int4::oid
        and database = (select oid from pg_database where datname = current_database())`.execute(source.db);
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) found.push(`${n} job-queue worker pool(s) connected to the source database`);
  }
  return found;
}

export async function migrateStorage(opts: MigrateOptions): Promise<MigrateReport> {
  if ((opts.fromStore === 's3' || opts.toStore === 's3') && !opts.s3) throw new HubError('BadRequest', 'an S3 store needs ORCHARD_S3_BUCKET (and the other ORCHARD_S3_* settings): docs/storage.md');
  const fromDb = opts.fromDatabase ?? `sqlite:${path.join(opts.dataDir, 'orchard.sqlite')}`;
  const toDb = opts.toDatabase;
  if (!toDb) throw new HubError('BadRequest', '--to-database is required (postgres://… or sqlite:/path/file.sqlite)');
  if (path.resolve(fromDb.replace(/^sqlite:/, '')) === path.resolve(toDb.replace(/^sqlite:/, '')) || fromDb === toDb) {
    throw new HubError('BadRequest', 'the source and target databases are the same');
  }

  const source = await openDatabase({ url: fromDb, dataDir: opts.dataDir });
  let target: OpenedDb | undefined;
  try {
    const running = await runningHubs(opts.dataDir, source);
    if (running.length > 0) {
      throw new HubError('Conflict', `the hub is still running (${running.join('; ')}): stop every hub process (and CLI command) on this data folder and database first, so that no write is missed`);
    }
    // openDatabase applies every migration to both: the same tables, the same columns.
    target = await openDatabase({ url: toDb, dataDir: opts.dataDir });
    const resumed = await hasProgressTable(target);
    if (resumed && !opts.resume) {
      throw new HubError('Conflict', 'an earlier migration into this database did not finish: run the same command again with --resume to continue it');
    }
    const { tables, onlyOneSide } = await planTables(source, target);
    if (!resumed) {
      const repos = await countRows(target.db, 'repos');
      if (repos > 0 && !opts.resume) {
        throw new HubError('Conflict', `the target database already has ${repos} repo(s): refusing to mix two hubs (use an empty database, or --resume to complete a copy of this same hub)`);
      }
      if (repos === 0) await clearTables(target.db, tables);
      await createProgressTable(target.db);
    }
    const progress = await readProgress(target.db);
    if (resumed) opts.log(`Resuming: ${[...progress.values()].filter((p) => p.done && p.table_name !== '*objects').length} of ${tables.length} tables already copied`);

    // 1. Tables, parents first.
    const copiedTables: { name: string; rows: number }[] = [];
    for (const t of tables) {
      let lastLog = Date.now();
      const rows = await copyTable(source, target, t, progress.get(t.name), opts.batchRows, (n) => {
        if (Date.now() - lastLog > 5000) {
          lastLog = Date.now();
          opts.log(`  ${t.name}: ${n} rows…`);
        }
      });
      copiedTables.push({ name: t.name, rows });
    }
    opts.log(`Copied ${tables.length} tables (${copiedTables.reduce((a, t) => a + t.rows, 0)} rows)${onlyOneSide.length ? `; not copied (one side only): ${onlyOneSide.join(', ')}` : ''}`);

    // 2. Objects, streamed from store to store.
    const from = await storeFor(opts.fromStore, opts);
    const to = await storeFor(opts.toStore, opts);
    const objects = await listObjects(opts.fromStore, opts.dataDir, opts.s3);
    let already = 0;
    let bytes = 0;
    let done = 0;
    opts.log(`Copying ${objects.length} LFS objects from the ${describe(opts.fromStore, opts)} to the ${describe(opts.toStore, opts)}…`);
    await eachLimited(objects, opts.concurrency, async (o) => {
      const there = await to.stat(o.oid);
      // A visible object is complete and verified (the store's rule): nothing to copy again.
      if (there && there.size === o.size) {
        already++;
      } else {
        await to.put(o.oid, o.size, await from.read(o.oid));
        bytes += o.size;
      }
      if (++done % 100 === 0) opts.log(`  ${done} of ${objects.length} objects…`);
    });
    await saveProgress(target.db, { table_name: '*objects', copied: objects.length, last_key: null, done: 1 });

    // 3. Verify: row counts, and every object's size and sha256 as the target serves it.
    const wrong: string[] = [];
    for (const t of tables) {
      const [a, b] = [await countRows(source.db, t.name), await countRows(target.db, t.name)];
      if (a !== b) wrong.push(`table ${t.name}: ${a} rows in the source, ${b} in the target`);
    }
    await eachLimited(objects, opts.concurrency, async (o) => {
      const st = await to.stat(o.oid);
      if (!st || st.size !== o.size) {
        wrong.push(`object ${o.oid}: ${st ? `${st.size} bytes` : 'missing'} in the target, ${o.size} in the source`);
        return;
      }
      const h = createHash('sha256');
      for await (const chunk of await to.read(o.oid)) h.update(chunk as Buffer);
      const got = h.digest('hex');
      if (got !== o.oid) wrong.push(`object ${o.oid}: the target's bytes hash to ${got}`);
    });
    if (wrong.length) throw new HubError('Conflict', `verification failed; the target is not ready (fix the cause and run again with --resume):\n  ${wrong.join('\n  ')}`);
    opts.log(`Verified ${tables.length} tables (row counts) and ${objects.length} objects (size and sha256)`);
    await (target.db as unknown as import('kysely').Kysely<any>).schema.dropTable(PROGRESS_TABLE).execute();
    return { tables: copiedTables, skippedTables: onlyOneSide, objects: objects.length, objectBytes: bytes, objectsAlreadyThere: already, resumed };
  } finally {
    await target?.close();
    await source.close();
  }
}
