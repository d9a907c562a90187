import { mkdirSync } from 'node:fs';
import { log } from '../core/log.js';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-repo-redirects.js';
import * as m0003 from './migrations/0003-access-control.js';
import * as m0004 from './migrations/0004-gated-rejection-reason.js';
import * as m0005 from './migrations/0005-listing-indexes.js';
import * as m0006 from './migrations/0006-discussions.js';
import * as m0007 from './migrations/0007-social.js';
import * as m0008 from './migrations/0008-lineage.js';
import * as m0009 from './migrations/0009-webhooks.js';
import * as m0010 from './migrations/0010-evals.js';
import * as m0011 from './migrations/0011-feedback.js';
import * as m0012 from './migrations/0012-leaderboards.js';
import * as m0013 from './migrations/0013-arena.js';
import * as m0014 from './migrations/0014-arena-export.js';
import * as m0015 from './migrations/0015-mirror-cache.js';
import * as m0017 from './migrations/0017-sqlite-search.js';
import * as m0018 from './migrations/0018-rate-buckets.js';
import * as m0019 from './migrations/0019-export-jobs.js';
import * as m0016 from './migrations/0016-mirror-replication.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface OpenedDb {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
}

/** Migrations are ordered modules, listed here so that bundling and tsc keep them. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-repo-redirects': m0002,
  '0003-access-control': m0003,
  '0004-gated-rejection-reason': m0004,
  '0005-listing-indexes': m0005,
  '0006-discussions': m0006,
  '0007-social': m0007,
  '0008-lineage': m0008,
  '0009-webhooks': m0009,
  '0010-evals': m0010,
  '0011-feedback': m0011,
  '0012-leaderboards': m0012,
  '0013-arena': m0013,
  '0014-arena-export': m0014,
  '0015-mirror-cache': m0015,
  '0017-sqlite-search': m0017,
  '0018-rate-buckets': m0018,
  '0019-export-jobs': m0019,
  '0016-mirror-replication': m0016,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

// bigint columns come back from pg as strings; every size we store fits in a double.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Opens the metadata database: SQLite file under the data folder by default,
 * PostgreSQL when `url` starts with `postgres://` or `postgresql://`.
 * Migrations run before the handle is returned.
 */
export async function openDatabase(opts: { url?: string | undefined; dataDir: string }): Promise<OpenedDb> {
  const url = opts.url;
  let db: Db;
  let dialect: Dialect;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle connection that the server drops (a restart, a failover, an admin's kill) is emitted
    // here; without a listener it would crash the process. The pool replaces it on the next query.
    // While closing, connections still on their way out may see the server's goodbye: not news.
    pool.on('error', (err) => (pool as unknown as { ending?: boolean }).ending || log.warn('idle PostgreSQL connection lost', { database: pool.options.database ?? new URL(url).pathname.slice(1), error: err.message }));
    // A connection lost while a client is checked out fails its query, and the client also emits 'error':
    // with no listener there, that second report would crash the process (readiness would never say 503).
    pool.on('connect', (client) => client.on('error', () => undefined));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    dialect = 'postgres';
  } else {
    const file = url?.startsWith('sqlite:') ? url.slice('sqlite:'.length) : path.join(opts.dataDir, 'orchard.sqlite');
    mkdirSync(path.dirname(file), { recursive: true });
    const sqlite = new SqliteDatabase(file);
    // WAL lets readers go on while one writer commits; busy_timeout makes a
    // second process wait for the lock instead of failing at once.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('foreign_keys = ON');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    dialect = 'sqlite';
  }
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
  return { db, dialect, close: () => db.destroy() };
}
