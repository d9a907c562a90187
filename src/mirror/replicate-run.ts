import { HubError } from '../core/errors.js';
import type { Hub } from '../services/hub.js';
import { pullExisting, type PullResult } from './replicate-pull.js';
import { pushRepo, type PushResult } from './replicate-push.js';
import { type ReplicationRow, tokenOf } from './replicate-store.js';

/**
 * Runs one recorded replication now (a scheduled run, or `orchard mirror
 * sync`): a pull into the mirror, or a push to the remote. The outcome is
 * recorded on the row by the claim (`withClaim`).
 */
export async function runLink(hub: Hub, link: ReplicationRow, owner: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<PullResult | PushResult> {
  const repo = await hub.db.selectFrom('repos').selectAll().where('id', '=', link.repo_id).executeTakeFirst();
  if (!repo) throw new HubError('RepoNotFound', 'The repo of this replication no longer exists');
  if (link.direction === 'import') throw new HubError('BadRequest', 'An imported repo has no source to sync with: import a newer bundle under another name, or mirror its source hub');
  const token = tokenOf(link, env);
  return link.direction === 'pull' ? pullExisting(hub, repo, link, token, owner, signal) : pushRepo(hub, repo, link, token, owner, signal);
}
