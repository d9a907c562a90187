import type { RepoType } from '../core/repo-id.js';
import { log } from '../core/log.js';

/**
 * Something that happened to a repo, told to whoever listens (webhooks,
 * cleanup of a deleted repo's community data, …). Scopes and actions follow
 * the Hugging Face webhook vocabulary so that a webhook payload is a direct
 * mapping of an event.
 */
export interface HubEvent {
  scope: 'repo' | 'repo.content' | 'repo.config' | 'discussion' | 'discussion.comment';
  action: 'create' | 'update' | 'delete' | 'move';
  /** The repo's internal id: stable across renames. */
  repoId: string;
  repo: { type: RepoType; namespace: string; name: string; private: boolean; headSha: string | null };
  /** For `repo.content`: the refs that moved (null: created or deleted). */
  updatedRefs?: { ref: string; oldSha: string | null; newSha: string | null }[];
  /** For `repo.config`: what changed. */
  updatedConfig?: { private?: boolean; gated?: false | 'auto' | 'manual' };
  /** For `move`: the old `namespace/name`. */
  oldName?: string;
  discussion?: { num: number; title: string; isPullRequest: boolean; status: string; author: string };
  comment?: { id: string; author: string; content: string; hidden: boolean };
  /** Name of the user who caused it, when known. */
  actor?: string | null;
  /** ISO time. */
  at: string;
}

export type HubEventListener = (event: HubEvent) => Promise<void> | void;

/**
 * In-process publish/subscribe. Listeners run in order and are awaited, so a
 * listener that records the event durably (the webhook queue) has done so
 * before the request that caused it answers. A failing listener is logged and
 * never fails the write that already happened.
 */
export class HubEvents {
  private readonly listeners: HubEventListener[] = [];

  on(listener: HubEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  async emit(event: HubEvent): Promise<void> {
    for (const listener of [...this.listeners]) {
      try {
        await listener(event);
      } catch (err) {
        log.error('event listener failed', err, { event: `${event.scope}/${event.action}` });
      }
    }
  }
}
