import { canAdminNamespace, roleIn } from '../../auth/policy.js';
import type { Hub } from '../../services/hub.js';
import { listMembers, ORG_ROLES, type Org } from '../../services/orgs.js';
import { clientScript, formStatus, needsJs } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import { layout, type PageContext } from '../layout.js';

/** `/organizations/new`: any signed-in user may create one and becomes its admin. */
export function newOrgPage(page: PageContext): string {
  const body = html`<section class="narrow">
    <h1>Create an organization</h1>
    <p class="muted">Organizations own repos together: their members read, write or administer them according to their role.</p>
    <form class="stack" id="new-org-form">
      ${needsJs('Creating an organization')}
      <fieldset data-needs-js disabled>
        <div><label for="org-name">Name</label><input id="org-name" name="name" type="text" required maxlength="96" autocapitalize="none" spellcheck="false" aria-describedby="org-name-help">
          <p class="small muted" id="org-name-help">Used in repo ids (<code>name/repo</code>); users and organizations share names.</p></div>
        <div><label for="org-fullname">Display name <span class="muted">(optional)</span></label><input id="org-fullname" name="fullname" type="text" maxlength="200"></div>
        ${formStatus()}
        <button class="primary" type="submit">Create organization</button>
      </fieldset>
    </form>
  </section>${clientScript('orgs')}`;
  return layout(page, 'New organization', body);
}

/**
 * The members of an org on its page `/{org}`: visible to its members; org
 * admins change roles, add and remove members. Empty for everyone else.
 */
export async function orgMembersSection(hub: Hub, page: PageContext, org: Org): Promise<SafeHtml> {
  if (!roleIn(page.actor, org.name)) return html``;
  const members = await listMembers(hub.db, page.actor, org.name);
  const admin = canAdminNamespace(page.actor, org.name);
  const self = page.actor.kind === 'user' ? page.actor.user.name.toLowerCase() : '';
  const roleSelect = (user: string, role: string): SafeHtml =>
    html`<select data-role-of="${user}" aria-label="Role of ${user}">${ORG_ROLES.map((r) => html`<option value="${r}" ${r === role ? html`selected` : ''}>${r}</option>`)}</select>`;
  return html`<section class="settings-section" id="org-members" data-org="${org.name}">
    <h2>Members <span class="muted small">(${String(members.length)})</span></h2>
    ${admin ? html`<p><a class="button" href="/new?owner=${encodeURIComponent(org.name)}">New repository in ${org.name}</a></p>` : ''}
    ${formStatus('members-status')}
    <div class="scroll-x"><table class="files"><thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>
    ${members.map((m) => html`<tr data-member="${m.user}"><td class="name"><a href="/${m.user}">${m.user}</a>${m.fullname && m.fullname !== m.user ? html` <span class="muted small">${m.fullname}</span>` : ''}</td>
      <td>${admin ? roleSelect(m.user, m.role) : m.role}</td>
      <td>${admin || m.user.toLowerCase() === self ? html`<button type="button" class="danger" data-remove="${m.user}" hidden>${m.user.toLowerCase() === self ? 'Leave' : 'Remove'}</button>` : ''}</td></tr>`)}
    </tbody></table></div>
    ${admin ? html`<form class="stack" id="add-member-form">
      <h3>Add a member</h3>
      ${needsJs('Managing members')}
      <fieldset data-needs-js disabled><div class="row">
        <div class="grow"><label for="member-name">User name</label><input id="member-name" name="user" type="text" required autocapitalize="none" spellcheck="false"></div>
        <div><label for="member-role">Role</label><select id="member-role" name="role">${ORG_ROLES.map((r) => html`<option value="${r}" ${r === 'read' ? html`selected` : ''}>${r}</option>`)}</select></div>
      </div>
      ${formStatus()}
      <button type="submit" class="primary">Add member</button></fieldset>
    </form>` : ''}
  </section>${clientScript('orgs')}`;
}
