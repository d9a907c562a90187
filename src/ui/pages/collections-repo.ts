import type { Actor } from '../../auth/actor.js';
import { canCreateIn } from '../../auth/policy.js';
import { typePlural } from '../../core/repo-id.js';
import type { RepoRow } from '../../services/repos.js';
import { clientScript, formStatus } from '../forms.js';
import { html, type SafeHtml } from '../html.js';

function repoApi(row: RepoRow): string {
  return `/api/${typePlural(row.type)}/${encodeURIComponent(row.namespace)}/${encodeURIComponent(row.name)}`;
}

/**
 * The Like button of the repo header. Signed in: a toggle (`aria-pressed`)
 * that its script (`like.js`) enables once it knows whether the user likes
 * the repo; signed out: the count, linking to the sign-in page.
 */
export function likeButton(actor: Actor, row: RepoRow): SafeHtml {
  const count = html`<span data-like-count>${String(row.likes)}</span>`;
  if (actor.kind !== 'user') return html`<a href="/login" title="Sign in to like this repo">♥ ${count} likes</a>`;
  return html`<button type="button" class="like-button" data-like="${repoApi(row)}/like" aria-pressed="false" disabled><span aria-hidden="true">♥</span> <span data-like-label>Like</span> · ${count}</button>`;
}

/**
 * Under the header line: the last 30 days of downloads as a small bar chart
 * (drawn by `like.js` from `…/downloads`), and, for signed-in users who can
 * write somewhere, "Add to collection" (`collection-add.js`).
 */
export function socialExtras(actor: Actor, row: RepoRow): SafeHtml {
  const namespaces = actor.kind === 'user' ? [actor.user.name, ...[...actor.memberships.values()].map((m) => m.name)].filter((ns) => canCreateIn(actor, ns)) : [];
  return html`<div class="social-extras small muted">
    <span class="downloads-spark" data-downloads-spark="${repoApi(row)}/downloads"></span>
    ${namespaces.length
      ? html`<details class="add-to-collection" data-owners="${namespaces.join(',')}" data-item-type="${row.type}" data-item-id="${row.namespace}/${row.name}">
      <summary>Add to collection</summary>
      <form class="stack" id="add-to-collection-form">
        <fieldset data-needs-js disabled>
          <div><label for="atc-collection">Collection</label><select id="atc-collection" name="collection" required></select></div>
          <p class="small muted" data-no-collections hidden>You have no collections yet: <a href="/collections/${namespaces[0]!}">create one</a>.</p>
          <div><label for="atc-note">Note <span class="muted">(optional, Markdown)</span></label><textarea id="atc-note" name="note" rows="2" maxlength="500"></textarea></div>
          ${formStatus()}
          <button type="submit" class="primary">Add</button>
        </fieldset>
      </form>
    </details>${clientScript('collection-add')}`
      : ''}
  </div>${clientScript('like')}`;
}
