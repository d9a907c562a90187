import { HubError } from '../../core/errors.js';
import { formatSize } from '../../core/sizes.js';
import { migrateStorage, type StoreKind } from '../../services/migrate-storage.js';
import type { Command } from '../command.js';
import { stringFlag } from '../command.js';

function storeFlag(value: string | undefined, name: string): StoreKind {
  if (value === undefined || value === 'folder') return 'folder';
  if (value === 's3') return 's3';
  throw new HubError('BadRequest', `--${name} must be folder or s3, got ${JSON.stringify(value)}`);
}

export const migrateStorageCommand: Command = {
  name: 'migrate-storage',
  usage: `migrate-storage --from-data DIR [--from-database URL] [--from-store folder|s3] --to-database URL [--to-store folder|s3] [--resume] [--batch N]
        With the hub stopped: copy every table and every LFS object to other backends (SQLite + folder
        <-> PostgreSQL + S3; the bucket from ORCHARD_S3_*), verify them, and print a JSON report. Git
        repos stay in DIR/git. Refuses a target database that has repos; --resume continues an
        interrupted run. docs/storage.md`,
  async run(ctx) {
    const dataDir = stringFlag(ctx, 'from-data') ?? stringFlag(ctx, 'data');
    const toDatabase = stringFlag(ctx, 'to-database');
    if (!dataDir || !toDatabase) return 2;
    const batch = Number(stringFlag(ctx, 'batch') ?? 500);
    if (!Number.isInteger(batch) || batch < 1) throw new HubError('BadRequest', `--batch must be a positive whole number, got ${stringFlag(ctx, 'batch')}`);
    const report = await migrateStorage({
      dataDir,
      fromDatabase: stringFlag(ctx, 'from-database'),
      toDatabase,
      fromStore: storeFlag(stringFlag(ctx, 'from-store'), 'from-store'),
      toStore: storeFlag(stringFlag(ctx, 'to-store'), 'to-store'),
      s3: ctx.config.s3,
      resume: ctx.flags.resume === true,
      batchRows: batch,
      concurrency: 4,
      log: (line) => ctx.err(`${line}\n`),
    });
    ctx.err(`Done: ${report.tables.length} tables, ${report.objects} LFS objects (${formatSize(report.objectBytes)} copied, ${report.objectsAlreadyThere} already there). Git repositories stay in ${dataDir}/git.\n`);
    ctx.out(`${JSON.stringify(report)}\n`);
    return 0;
  },
};
