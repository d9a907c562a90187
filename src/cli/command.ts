import type { Config } from '../config/config.js';
import type { Db } from '../db/database.js';

/** What a CLI command gets: parsed flags, the words after its name, config and the database. */
export interface CommandContext {
  flags: Record<string, string | boolean | undefined>;
  args: string[];
  config: Config;
  /** Opens the metadata database (closed by the CLI after the command). */
  db(): Promise<Db>;
  /** Where results for scripts go (only the result: a token, a JSON document). */
  out(text: string): void;
  /** Where messages for people go. */
  err(text: string): void;
}

export interface Command {
  /** One or two words: `serve`, `user create`. */
  name: string;
  usage: string;
  /** Exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** The flag's string value, or a usage error. */
export function stringFlag(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.flags[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Error(`--${name} needs a value`);
  return v;
}
