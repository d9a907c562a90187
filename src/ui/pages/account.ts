import type { Hub } from '../../services/hub.js';
import { clientScript, formStatus, needsJs } from '../forms.js';
import { html, type SafeHtml, timeAgo } from '../html.js';
import { layout, type PageContext } from '../layout.js';

type SignedIn = PageContext & { actor: Extract<PageContext['actor'], { kind: 'user' }> };

export type SettingsTab = 'tokens' | 'password' | 'organizations' | 'webhooks';

function settingsNav(tab: SettingsTab): SafeHtml {
  const link = (t: SettingsTab, href: string, label: string): SafeHtml => html`<a href="${href}" ${t === tab ? html`aria-current="page"` : ''}>${label}</a>`;
  return html`<nav class="tabs settings-nav" aria-label="Settings">${link('tokens', '/settings/tokens', 'Access tokens')}${link('password', '/settings/password', 'Password')}${link('organizations', '/settings/organizations', 'Organizations')}${link('webhooks', '/settings/webhooks', 'Webhooks')}</nav>`;
}

export function settingsLayout(page: SignedIn, tab: SettingsTab, title: string, content: SafeHtml): string {
  return layout(page, title, html`<h1>Settings <span class="muted small">· ${page.actor.user.name}</span></h1>${settingsNav(tab)}<div class="settings">${content}</div>`);
}

const date = (iso: string | null): SafeHtml => (iso ? html`<time datetime="${iso}" title="${iso}">${iso.slice(0, 10)}</time>` : html`<span class="muted">never</span>`);

/** `/settings/tokens`: the user's tokens (never their values), create one (shown once), revoke. */
export async function tokensPage(hub: Hub, page: SignedIn): Promise<string> {
  const rows = await hub.db.selectFrom('tokens').selectAll().where('user_id', '=', page.actor.user.id).orderBy('created_at', 'desc').execute();
  const now = new Date().toISOString();
  const content = html`
  <section class="settings-section">
    <h2>Create a token</h2>
    <p class="small muted">Tokens let the clients (<code>huggingface_hub</code>, <code>@huggingface/hub</code>, git) act as you. A read token downloads; a write token also uploads and manages repos.</p>
    <form class="stack" id="token-form">
      ${needsJs('Creating a token')}
      <fieldset data-needs-js disabled>
        <div class="row">
          <div class="grow"><label for="token-name">Name</label><input id="token-name" name="displayName" type="text" required maxlength="100" placeholder="e.g. laptop"></div>
          <div><label for="token-role">Role</label><select id="token-role" name="role"><option value="read">read</option><option value="write">write</option></select></div>
          <div><label for="token-expiry">Expires</label><select id="token-expiry" name="expiry"><option value="">never</option><option value="7">in 7 days</option><option value="30" selected>in 30 days</option><option value="90">in 90 days</option><option value="365">in a year</option></select></div>
        </div>
        ${formStatus()}
        <button class="primary" type="submit">Create token</button>
      </fieldset>
    </form>
    <div class="notice ok-notice" id="new-token" hidden tabindex="-1">
      <p><strong>Copy your new token now</strong>: it will not be shown again.</p>
      <p class="token-line"><code id="new-token-value"></code> <button type="button" class="copy-token" data-copy-token>Copy</button></p>
    </div>
  </section>
  <section class="settings-section">
    <h2>Your tokens</h2>
    ${formStatus('tokens-status')}
    <div class="scroll-x"><table class="files" id="token-table"><thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
      <tbody>${rows.map((t) => html`<tr data-token-id="${t.id}">
        <td class="name">${t.display_name}</td><td>${t.role}</td><td>${date(t.created_at)}</td><td>${t.last_used_at ? timeAgo(t.last_used_at) : html`<span class="muted">never</span>`}</td>
        <td>${t.expires_at && t.expires_at <= now ? html`<span class="pill private">expired</span>` : date(t.expires_at)}</td>
        <td><button type="button" class="danger" data-revoke="${t.id}" aria-label="Revoke ${t.display_name}" hidden>Revoke</button></td></tr>`)}</tbody></table></div>
    <p class="empty" data-no-tokens ${rows.length ? html`hidden` : ''}>You have no tokens yet.</p>
  </section>${clientScript('account')}`;
  return settingsLayout(page, 'tokens', 'Access tokens', content);
}

/** `/settings/password`: change it (ends the user's other sessions). */
export function passwordPage(page: SignedIn): string {
  const content = html`<section class="settings-section narrow">
    <h2>Change your password</h2>
    <form class="stack" id="password-form">
      ${needsJs('Changing the password')}
      <fieldset data-needs-js disabled>
        <input type="text" name="username" autocomplete="username" value="${page.actor.user.name}" hidden>
        <div><label for="password-old">Current password</label><input id="password-old" name="oldPassword" type="password" autocomplete="current-password" required></div>
        <div><label for="password-new">New password</label><input id="password-new" name="newPassword" type="password" autocomplete="new-password" minlength="8" required aria-describedby="password-new-help">
          <p class="small muted" id="password-new-help">At least 8 characters. Your other sessions are signed out.</p></div>
        <div><label for="password-again">New password again</label><input id="password-again" name="again" type="password" autocomplete="new-password" minlength="8" required></div>
        ${formStatus()}
        <button class="primary" type="submit">Change password</button>
      </fieldset>
    </form>
  </section>${clientScript('account')}`;
  return settingsLayout(page, 'password', 'Password', content);
}

/** `/settings/organizations`: the user's organizations and their role in each. */
export function myOrgsPage(page: SignedIn): string {
  const orgs = [...page.actor.memberships.values()].sort((a, b) => a.name.localeCompare(b.name));
  const content = html`<section class="settings-section">
    <h2>Your organizations</h2>
    ${orgs.length
      ? html`<ul class="plain-list">${orgs.map((o) => html`<li><a href="/${o.name}">${o.fullname || o.name}</a> <span class="muted small">${o.name}</span> <span class="pill">${o.role}</span></li>`)}</ul>`
      : html`<p class="empty">You are not in any organization yet.</p>`}
    <p><a class="button primary" href="/organizations/new">New organization</a></p>
  </section>`;
  return settingsLayout(page, 'organizations', 'Organizations', content);
}
