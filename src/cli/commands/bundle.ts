import path from 'node:path';
import { HubError } from '../../core/errors.js';
import { formatSize } from '../../core/sizes.js';
import { exportBundle } from '../../mirror/bundle-export.js';
import { importBundle } from '../../mirror/bundle-import.js';
import type { Command } from '../command.js';
import { stringFlag } from '../command.js';
import { cliHub, localRef } from './mirror.js';

export const exportCommand: Command = {
  name: 'export',
  usage: `export REPO [REPO…] --out FILE [--type T] [--data DIR]
        Write one bundle file (git history, LFS objects, metadata, cards, sha256 manifest) for
        air-gapped transfer; prints the manifest's sha256 to check on the other side. docs/replication.md`,
  async run(ctx) {
    const out = stringFlag(ctx, 'out');
    if (!out || ctx.args.length === 0) return 2;
    const hub = await cliHub(ctx);
    const refs = ctx.args.map((a) => localRef(ctx, a));
    const r = await exportBundle(hub, refs, path.resolve(out), { exportedFrom: ctx.config.publicUrl });
    ctx.err(`Wrote ${r.file}: ${r.repos} repo(s), ${r.lfsObjects} LFS object(s), ${formatSize(r.bytes)}\nManifest sha256 (compare it on the receiving side, orchard import --expect-sha256):\n`);
    ctx.out(`${r.manifestSha256}\n`);
    return 0;
  },
};

export const importCommand: Command = {
  name: 'import',
  usage: `import FILE [--namespace NS] [--expect-sha256 HEX] [--data DIR]
        Verify a bundle against its manifest and create its repos, all or nothing; a corrupt or
        changed bundle, or a name that exists here, imports nothing. docs/replication.md`,
  async run(ctx) {
    const file = ctx.args[0];
    if (!file) return 2;
    const expect = stringFlag(ctx, 'expect-sha256');
    if (expect !== undefined && !/^[0-9a-fA-F]{64}$/.test(expect)) throw new HubError('BadRequest', '--expect-sha256 takes the 64 hex digits that orchard export printed');
    const hub = await cliHub(ctx);
    const r = await importBundle(hub, path.resolve(file), { namespace: stringFlag(ctx, 'namespace'), expectSha256: expect });
    for (const repo of r.repos) ctx.err(`Imported ${repo.type} ${repo.namespace}/${repo.name}${repo.private ? ' (private)' : ''}\n`);
    ctx.out(JSON.stringify({ manifestSha256: r.manifestSha256, repos: r.repos.map((x) => ({ type: x.type, id: `${x.namespace}/${x.name}`, private: x.private === 1 })), lfsAdded: r.lfsAdded }) + '\n');
    return 0;
  },
};
