import { createUser } from '../../auth/users.js';
import type { Command } from '../command.js';
import { stringFlag } from '../command.js';

export const userCreate: Command = {
  name: 'user create',
  usage: `user create NAME [--admin] [--fullname F] [--email E] [--data DIR]
        Create a user.`,
  async run(ctx) {
    const name = ctx.args[0];
    if (!name) return 2;
    const fullname = stringFlag(ctx, 'fullname');
    const email = stringFlag(ctx, 'email');
    const user = await createUser(await ctx.db(), {
      name,
      isAdmin: ctx.flags.admin === true,
      ...(fullname ? { fullname } : {}),
      ...(email ? { email } : {}),
    });
    ctx.err(`Created user ${user.name}${user.isAdmin ? ' (admin)' : ''}\n`);
    return 0;
  },
};
