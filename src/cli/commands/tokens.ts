import { createToken } from '../../auth/tokens.js';
import { findUserByName } from '../../auth/users.js';
import type { Command } from '../command.js';
import { stringFlag } from '../command.js';

export const tokenCreate: Command = {
  name: 'token create',
  usage: `token create --user NAME [--write] [--name LABEL] [--expires-in-days N] [--data DIR]
        Create an access token for a user; prints only the token.`,
  async run(ctx) {
    const name = stringFlag(ctx, 'user');
    if (!name) return 2;
    const db = await ctx.db();
    const user = await findUserByName(db, name);
    if (!user) {
      ctx.err(`No user named ${name}\n`);
      return 1;
    }
    const days = stringFlag(ctx, 'expires-in-days');
    if (days !== undefined && !/^\d+$/.test(days)) {
      ctx.err('--expires-in-days must be a whole number\n');
      return 2;
    }
    const { token } = await createToken(db, user.id, {
      role: ctx.flags.write === true ? 'write' : 'read',
      displayName: stringFlag(ctx, 'name') ?? `cli-${new Date().toISOString().slice(0, 10)}`,
      expiresAt: days ? new Date(Date.now() + Number(days) * 86_400_000).toISOString() : null,
    });
    ctx.out(`${token}\n`);
    return 0;
  },
};
