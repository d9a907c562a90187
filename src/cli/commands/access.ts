import { ANONYMOUS } from '../../auth/actor.js';
import { HubError } from '../../core/errors.js';
import { parseRepoId, parseRepoType } from '../../core/repo-id.js';
import type { AuditSource } from '../../services/audit.js';
import { decideAccessRequest, GATE_STATUSES, type GateStatus, grantAccess, listAccessRequests } from '../../services/gated.js';
import { findRepo, type RepoRow } from '../../services/repos.js';
import type { Db } from '../../db/database.js';
import type { Command, CommandContext } from '../command.js';
import { stringFlag } from '../command.js';

/**
 * Access requests of gated repos, straight on the database: whoever runs
 * the CLI owns the data folder, so no role is checked. The audit log records
 * these with no actor and `via: "cli"`.
 */
const CLI_SOURCE: AuditSource = { actor: ANONYMOUS, ip: undefined };

async function repoArg(ctx: CommandContext): Promise<{ db: Db; row: RepoRow } | undefined> {
  const id = ctx.args[0];
  if (!id) return undefined;
  const ref = parseRepoId(parseRepoType(stringFlag(ctx, 'type')), id);
  const db = await ctx.db();
  const row = await findRepo({ db }, ref);
  if (!row) throw new HubError('RepoNotFound', `No ${ref.type} repo named ${id}`);
  return { db, row };
}

export const accessList: Command = {
  name: 'access list',
  usage: `access list REPO [--type model|dataset|space] [--status pending|accepted|rejected] [--data DIR]
        Access requests of a gated repo (default: pending), one per line:
        user, status, requested at, answers (JSON), rejection reason.`,
  async run(ctx) {
    const status = stringFlag(ctx, 'status') ?? 'pending';
    if (!(GATE_STATUSES as readonly string[]).includes(status)) return 2;
    const repo = await repoArg(ctx);
    if (!repo) return 2;
    for (let offset = 0; ; offset += 500) {
      const { requests, hasMore } = await listAccessRequests({ db: repo.db }, repo.row, status as GateStatus, offset, 500);
      for (const r of requests) {
        ctx.out([r.user.name, r.status, r.requestedAt, JSON.stringify(r.fields ?? {}), r.rejectionReason ?? ''].join('\t') + '\n');
      }
      if (!hasMore) return 0;
    }
  },
};

function decision(name: string, status: GateStatus, verb: string): Command {
  return {
    name: `access ${name}`,
    usage: `access ${name} REPO USER [--type model|dataset|space]${status === 'rejected' ? ' [--reason TEXT]' : ''} [--data DIR]
        ${verb}`,
    async run(ctx) {
      const user = ctx.args[1];
      const repo = await repoArg(ctx);
      if (!repo || !user) return 2;
      await decideAccessRequest({ db: repo.db }, CLI_SOURCE, repo.row, user, status, status === 'rejected' ? stringFlag(ctx, 'reason') : undefined);
      ctx.err(`${user}: ${status}\n`);
      return 0;
    },
  };
}

export const accessAccept = decision('accept', 'accepted', 'Accept the request of USER.');
export const accessReject = decision('reject', 'rejected', 'Reject the request of USER (the reason is shown to them).');

export const accessGrant: Command = {
  name: 'access grant',
  usage: `access grant REPO USER [--type model|dataset|space] [--data DIR]
        Give USER access to a gated repo without a request.`,
  async run(ctx) {
    const user = ctx.args[1];
    const repo = await repoArg(ctx);
    if (!repo || !user) return 2;
    await grantAccess({ db: repo.db }, CLI_SOURCE, repo.row, user);
    ctx.err(`${user}: accepted\n`);
    return 0;
  },
};
