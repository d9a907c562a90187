#!/usr/bin/env node
import { loadConfig } from '../config/config.js';
import { isHubError } from '../core/errors.js';
import { type Db, openDatabase, type OpenedDb } from '../db/database.js';
import type { CommandContext } from './command.js';
import { COMMANDS } from './commands/index.js';

const BOOLEAN_FLAGS = new Set(['offline', 'metrics-public', 'admin', 'write', 'help', 'trust-proxy', 'yes', 'remove', 'webhooks-allow-private-targets', 'resume']);

function usage(): string {
  return `Usage: orchard <command> [options]\n\nCommands:\n${COMMANDS.map((c) => `  ${c.usage}`).join('\n')}\n`;
}

/**
 * `--name value`, `--name=value` and boolean `--flag`s, in any order with the
 * words. Flags are not declared centrally, so commands can add their own.
 */
function parseFlags(argv: string[]): { flags: Record<string, string | boolean | undefined>; positionals: string[] } {
  const flags: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h') flags.help = true;
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq > 0 ? eq : undefined);
      if (eq > 0) flags[name] = a.slice(eq + 1);
      else if (BOOLEAN_FLAGS.has(name)) flags[name] = true;
      else if (i + 1 < argv.length) flags[name] = argv[++i];
      else throw new Error(`--${name} needs a value`);
    } else positionals.push(a);
  }
  return { flags, positionals };
}

async function main(argv: string[]): Promise<number> {
  const { flags, positionals } = parseFlags(argv);
  if (flags.help || positionals.length === 0) {
    process.stdout.write(usage());
    return positionals.length === 0 && !flags.help ? 1 : 0;
  }
  const command =
    COMMANDS.find((c) => c.name === positionals.slice(0, 2).join(' ') && c.name.includes(' ')) ??
    COMMANDS.find((c) => c.name === positionals[0]);
  if (!command) {
    process.stderr.write(usage());
    return 2;
  }
  const str = (k: string): string | undefined => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
  const config = loadConfig({
    port: str('port'),
    host: str('host'),
    data: str('data'),
    'public-url': str('public-url'),
    database: str('database'),
    'trust-proxy': flags['trust-proxy'] ? 'true' : undefined,
    'webhooks-allow-private-targets': flags['webhooks-allow-private-targets'] ? 'true' : undefined,
    upstream: str('upstream'),
    offline: flags.offline ? 'true' : undefined,
    'metrics-public': flags['metrics-public'] ? 'true' : undefined,
  });
  let opened: OpenedDb | undefined;
  const ctx: CommandContext = {
    flags,
    args: positionals.slice(command.name.split(' ').length),
    config,
    async db(): Promise<Db> {
      opened ??= await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
      return opened.db;
    },
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  };
  try {
    const code = await command.run(ctx);
    if (code === 2) process.stderr.write(`Usage: orchard ${command.usage}\n`);
    return code;
  } finally {
    await opened?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`orchard: ${isHubError(err) || err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
