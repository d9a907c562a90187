import { parseInviteDays, parseSignupMode } from '../../auth/signup.js';
import type { Db } from '../../db/database.js';
import type { AuditSource } from '../../services/audit.js';
import { adminCreateInvite, adminDeleteUser, adminSetPassword, adminSetSignupMode, adminUpdateUser } from '../../services/user-admin.js';
import type { Command, CommandContext } from '../command.js';
import { stringFlag } from '../command.js';

/**
 * Site administration from the CLI: whoever can run it owns the data folder,
 * so it acts as a site admin, through the same services as the admin API and
 * with the same audit events (actor `orchard-cli`).
 */
async function asCliAdmin(ctx: CommandContext): Promise<{ hub: { db: Db }; source: AuditSource }> {
  const root = { id: 'cli', name: 'orchard-cli', fullname: 'orchard CLI', email: null, isAdmin: true, createdAt: new Date(0).toISOString() };
  return { hub: { db: await ctx.db() }, source: { actor: { kind: 'user', user: root, token: undefined, memberships: new Map() }, ip: undefined } };
}

/** The first line of stdin, without its line break: `echo "$PW" | orchard user passwd NAME`. */
async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.includes('\n')) break;
  }
  process.stdin.pause();
  return text.split(/\r?\n/, 1)[0] ?? '';
}

function userFlag(name: 'disable' | 'enable'): Command {
  return {
    name: `user ${name}`,
    usage: `user ${name} NAME [--data DIR]
        ${name === 'disable' ? 'Disable a user: their tokens and sessions stop working at once.' : 'Enable a disabled user again.'}`,
    async run(ctx) {
      const user = ctx.args[0];
      if (!user) return 2;
      const { hub, source } = await asCliAdmin(ctx);
      await adminUpdateUser(hub, source, user, { disabled: name === 'disable' });
      ctx.err(`${name === 'disable' ? 'Disabled' : 'Enabled'} user ${user}\n`);
      return 0;
    },
  };
}

export const userDisable = userFlag('disable');
export const userEnable = userFlag('enable');

export const userDelete: Command = {
  name: 'user delete',
  usage: `user delete NAME [--data DIR]
        Delete a user with their tokens and sessions (refused while they own repos).`,
  async run(ctx) {
    const user = ctx.args[0];
    if (!user) return 2;
    const { hub, source } = await asCliAdmin(ctx);
    await adminDeleteUser(hub, source, user);
    ctx.err(`Deleted user ${user}\n`);
    return 0;
  },
};

export const userPasswd: Command = {
  name: 'user passwd',
  usage: `user passwd NAME [--data DIR]
        Set a user's password, read from the first line of stdin; ends their sessions.`,
  async run(ctx) {
    const user = ctx.args[0];
    if (!user) return 2;
    if (process.stdin.isTTY) ctx.err(`New password for ${user} (shown as you type; pipe it in to avoid that): `);
    const password = await readStdinLine();
    const { hub, source } = await asCliAdmin(ctx);
    await adminSetPassword(hub, source, user, password);
    ctx.err(`Password set for ${user}\n`);
    return 0;
  },
};

export const inviteCreate: Command = {
  name: 'invite create',
  usage: `invite create [--days N] [--data DIR]
        Create a single-use sign-up invite code (default 7 days); prints only the code.`,
  async run(ctx) {
    const days = parseInviteDays(stringFlag(ctx, 'days'));
    const { hub, source } = await asCliAdmin(ctx);
    const { code, expiresAt } = await adminCreateInvite(hub, source, days);
    ctx.out(`${code}\n`);
    ctx.err(`Valid until ${expiresAt}\n`);
    return 0;
  },
};

export const settingsSet: Command = {
  name: 'settings set',
  usage: `settings set signup open|invite|closed [--data DIR]
        Who may sign up: anyone, holders of an invite code, or nobody (admins create users).`,
  async run(ctx) {
    const [key, value] = ctx.args;
    if (key !== 'signup' || value === undefined) return 2;
    const { hub, source } = await asCliAdmin(ctx);
    await adminSetSignupMode(hub, source, parseSignupMode(value));
    ctx.err(`Sign-up is now ${value}\n`);
    return 0;
  },
};
