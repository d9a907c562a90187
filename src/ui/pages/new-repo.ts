import type { Actor } from '../../auth/actor.js';
import { canCreateIn } from '../../auth/policy.js';
import { REPO_TYPES, type RepoType } from '../../core/repo-id.js';
import { clientScript, formStatus, needsJs } from '../forms.js';
import { html } from '../html.js';
import { layout, type PageContext } from '../layout.js';

/** The namespaces where the actor may create repos: their own, then their orgs with a write role. */
export function creatableNamespaces(actor: Actor): string[] {
  if (actor.kind !== 'user') return [];
  const orgs = [...actor.memberships.values()].map((m) => m.name).filter((n) => canCreateIn(actor, n)).sort((a, b) => a.localeCompare(b));
  return [actor.user.name, ...orgs];
}

const TYPE_LABEL: Record<RepoType, string> = { model: 'Model', dataset: 'Dataset', space: 'Space' };

/** `/new`: type, owner (you or an org where you can write), name, visibility. */
export function newRepoPage(page: PageContext, opts: { type: RepoType; owner: string | null }): string {
  const owners = creatableNamespaces(page.actor);
  const owner = owners.find((o) => o.toLowerCase() === opts.owner?.toLowerCase()) ?? owners[0];
  const body = html`<section class="narrow">
    <h1>Create a new repository</h1>
    <form class="stack" id="new-repo-form">
      ${needsJs('Creating a repository')}
      <fieldset data-needs-js disabled>
        <fieldset class="choices"><legend>Type</legend>
          ${REPO_TYPES.map((t) => html`<label class="choice"><input type="radio" name="type" value="${t}" ${t === opts.type ? html`checked` : ''}> ${TYPE_LABEL[t]}</label>`)}
        </fieldset>
        <div class="row">
          <div><label for="new-owner">Owner</label><select id="new-owner" name="owner">${owners.map((o) => html`<option value="${o}" ${o === owner ? html`selected` : ''}>${o}</option>`)}</select></div>
          <div class="grow"><label for="new-name">Name</label><input id="new-name" name="name" type="text" required maxlength="96" autocapitalize="none" spellcheck="false" aria-describedby="new-name-help"></div>
        </div>
        <p class="small muted" id="new-name-help">Letters, digits, '-', '_' and '.'. Organizations where you have a write role are listed as owners; <a href="/organizations/new">create an organization</a>.</p>
        <fieldset class="choices"><legend>Visibility</legend>
          <label class="choice"><input type="radio" name="visibility" value="public" checked> Public <span class="small muted">— anyone can see and download it</span></label>
          <label class="choice"><input type="radio" name="visibility" value="private"> Private <span class="small muted">— only you (or members of the organization)</span></label>
        </fieldset>
        ${formStatus()}
        <button class="primary" type="submit">Create repository</button>
      </fieldset>
    </form>
  </section>${clientScript('new-repo')}`;
  return layout(page, 'New repository', body);
}
