import type { Actor } from '../../auth/actor.js';
import { loadMemberships } from '../../auth/tokens.js';
import { findUserByName } from '../../auth/users.js';
import type { Db } from '../../db/database.js';
import { createOrg, listMembers, parseRole, removeMember, setMember } from '../../services/orgs.js';
import type { Command, CommandContext } from '../command.js';
import { stringFlag } from '../command.js';

/**
 * The CLI acts as a site admin (whoever can run it owns the data folder),
 * or as a named user where the action needs one.
 */
async function cliActor(ctx: CommandContext, asUser?: string): Promise<{ db: Db; actor: Actor }> {
  const db: Db = await ctx.db();
  if (asUser) {
    const user = await findUserByName(db, asUser);
    if (!user) throw new Error(`No user named ${asUser}`);
    return { db, actor: { kind: 'user', user, token: undefined, memberships: await loadMemberships(db, user.id) } };
  }
  const root = { id: 'cli', name: 'orchard-cli', fullname: 'orchard CLI', email: null, isAdmin: true, createdAt: new Date(0).toISOString() };
  return { db, actor: { kind: 'user', user: root, token: undefined, memberships: new Map() } };
}

export const orgCreate: Command = {
  name: 'org create',
  usage: `org create NAME --owner USER [--fullname F] [--data DIR]
        Create an organization with USER as its first admin.`,
  async run(ctx) {
    const name = ctx.args[0];
    const ownerName = stringFlag(ctx, 'owner');
    if (!name || !ownerName) return 2;
    const { db, actor } = await cliActor(ctx, ownerName);
    const org = await createOrg(db, actor, { name, fullname: stringFlag(ctx, 'fullname') });
    ctx.err(`Created organization ${org.name} (admin: ${ownerName})\n`);
    return 0;
  },
};

export const orgMember: Command = {
  name: 'org member',
  usage: `org member ORG USER --role read|write|admin   |   org member ORG USER --remove   [--data DIR]
        Add a member, change a role, or remove a member.`,
  async run(ctx) {
    const [org, user] = ctx.args;
    if (!org || !user) return 2;
    const { db, actor } = await cliActor(ctx);
    if (ctx.flags.remove !== undefined) {
      await removeMember(db, actor, org, user);
      ctx.err(`Removed ${user} from ${org}\n`);
      return 0;
    }
    const role = parseRole(stringFlag(ctx, 'role'));
    await setMember(db, actor, org, user, role);
    ctx.err(`${user} is now ${role} in ${org}\n`);
    return 0;
  },
};

export const orgMembers: Command = {
  name: 'org members',
  usage: `org members ORG [--data DIR]
        List members as JSON.`,
  async run(ctx) {
    const org = ctx.args[0];
    if (!org) return 2;
    const { db, actor } = await cliActor(ctx);
    ctx.out(`${JSON.stringify(await listMembers(db, actor, org), null, 2)}\n`);
    return 0;
  },
};
