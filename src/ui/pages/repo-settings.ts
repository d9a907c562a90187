import { canManageGate } from '../../auth/policy.js';
import { type AccessRequest, GATE_STATUSES, type GateStatus, listAccessRequests } from '../../services/gated.js';
import type { Hub } from '../../services/hub.js';
import { tagsOf } from '../../services/listing.js';
import { accessInfo, type RepoRow } from '../../services/repos.js';
import { clientScript, formStatus, needsJs, repoData } from '../forms.js';
import { html, type SafeHtml, timeAgo } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { repoHeader } from './repo.js';

const SHOWN = 100;
const TITLE: Record<GateStatus, string> = { pending: 'Pending', accepted: 'Accepted', rejected: 'Rejected' };

function fields(r: AccessRequest): SafeHtml {
  const entries = Object.entries(r.fields ?? {});
  if (entries.length === 0) return html`${r.fields === null ? html`<span class="muted small">granted without a request</span>` : ''}`;
  return html`<dl class="answers">${entries.map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)}</dd>`)}</dl>`;
}

/** The buttons that move a request elsewhere: accept, reject (with a reason), or back to pending. */
function actions(r: AccessRequest): SafeHtml {
  const user = r.user.name;
  const button = (status: GateStatus, label: string, cls = ''): SafeHtml =>
    html`<button type="button" class="${cls}" data-decide="${status}" data-user="${user}" aria-label="${label} ${user}">${label}</button>`;
  return html`<div class="row" data-request="${user}">
    ${r.status !== 'accepted' ? button('accepted', 'Accept', 'primary') : ''}
    ${r.status !== 'rejected' ? html`<input type="text" name="reason" maxlength="200" placeholder="Reason (optional)" aria-label="Reason for rejecting ${user} (optional)" class="reason">${button('rejected', 'Reject', 'danger')}` : ''}
    ${r.status !== 'pending' ? button('pending', 'Move back to pending') : ''}
  </div>`;
}

function requestList(status: GateStatus, requests: AccessRequest[], hasMore: boolean): SafeHtml {
  return html`<section class="requests" data-requests="${status}"><h3>${TITLE[status]} <span class="muted small">(${String(requests.length)}${hasMore ? '+' : ''})</span></h3>
    ${requests.length === 0
      ? html`<p class="muted small">None.</p>`
      : html`<ul class="request-list">${requests.map((r) => html`<li data-user="${r.user.name}">
          <div><strong><a href="/${r.user.name}">${r.user.name}</a></strong>${r.user.fullname && r.user.fullname !== r.user.name ? html` · ${r.user.fullname}` : ''}${r.fields !== null && r.user.email ? html` · <a href="mailto:${r.user.email}">${r.user.email}</a>` : ''}
            <span class="muted small"> · asked ${timeAgo(r.requestedAt)}</span></div>
          ${fields(r)}
          ${r.rejectionReason ? html`<p class="small">Reason: ${r.rejectionReason}</p>` : ''}
          ${actions(r)}
        </li>`)}</ul>`}
    ${hasMore ? html`<p class="small muted">Showing the first ${String(SHOWN)}; the API lists them all.</p>` : ''}
  </section>`;
}

async function accessRequests(hub: Hub, page: PageContext, row: RepoRow): Promise<SafeHtml> {
  if (!canManageGate(page.actor, accessInfo(row))) return html``;
  const lists = await Promise.all(GATE_STATUSES.map(async (s) => ({ status: s, ...(await listAccessRequests(hub, row, s, 0, SHOWN)) })));
  const none = lists.every((l) => l.requests.length === 0);
  if (!row.gated && none) return html``;
  return html`<section class="settings-section" id="access-requests" ${repoData(row)}>
    <h2>Access requests</h2>
    ${row.gated ? '' : html`<p class="notice">Gating is off: these requests are kept, and apply again if you turn it back on.</p>`}
    ${formStatus('requests-status')}
    ${lists.map((l) => requestList(l.status, l.requests, l.hasMore))}
    <form class="stack" id="grant-form">
      <h3>Give someone access</h3>
      <fieldset data-needs-js disabled>
        <div><label for="grant-user">User name</label><input id="grant-user" name="user" type="text" required autocapitalize="none" spellcheck="false"></div>
        <p><button type="submit">Grant access</button></p>
      </fieldset>
    </form>
  </section>`;
}

/** `/{repo}/settings` (admins): visibility, gating, access requests, and deleting the repo. */
export async function repoSettingsPage(hub: Hub, page: PageContext, row: RepoRow): Promise<string> {
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const id = `${row.namespace}/${row.name}`;
  const gated = row.gated ?? 'off';
  const body = html`${repoHeader(page.actor, row, 'settings', tags)}
  <div class="settings" ${repoData(row)} id="repo-settings">
    ${needsJs('Changing settings')}
    <form class="stack settings-section" id="visibility-form">
      <h2>Visibility</h2>
      <fieldset data-needs-js disabled class="choices"><legend class="skip">Visibility</legend>
        <label class="choice"><input type="radio" name="visibility" value="public" ${row.private ? '' : html`checked`}> Public <span class="small muted">— anyone can see it${row.gated ? ' (files stay gated)' : ''}</span></label>
        <label class="choice"><input type="radio" name="visibility" value="private" ${row.private ? html`checked` : ''}> Private <span class="small muted">— only ${row.namespace} ${row.namespace === (page.actor.kind === 'user' ? page.actor.user.name : '') ? '(you)' : 'and its members'}</span></label>
        ${formStatus()}
        <p><button type="submit" class="primary">Save visibility</button></p>
      </fieldset>
    </form>
    <form class="stack settings-section" id="gating-form">
      <h2>Gated access</h2>
      <p class="small muted">A gated ${row.type} stays visible, but its files can only be downloaded by people whose access request was accepted
        (and by members of ${row.namespace}). The request form is built from <code>extra_gated_fields</code> in the card.</p>
      <fieldset data-needs-js disabled>
        <div><label for="gating-mode">Requests are</label>
          <select id="gating-mode" name="gated">
            <option value="off" ${gated === 'off' ? html`selected` : ''}>Not gated</option>
            <option value="auto" ${gated === 'auto' ? html`selected` : ''}>Accepted automatically</option>
            <option value="manual" ${gated === 'manual' ? html`selected` : ''}>Reviewed by hand</option>
          </select></div>
        ${formStatus()}
        <p><button type="submit" class="primary">Save gating</button></p>
      </fieldset>
    </form>
    ${await accessRequests(hub, page, row)}
    <form class="stack settings-section danger-zone" id="delete-repo-form">
      <h2>Delete this ${row.type}</h2>
      <p>This deletes <strong>${id}</strong>, its files, history and settings, for good.</p>
      <fieldset data-needs-js disabled>
        <div><label for="delete-confirm">Type <code>${id}</code> to confirm</label><input id="delete-confirm" name="confirm" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" data-expect="${id}"></div>
        ${formStatus()}
        <p><button type="submit" class="danger" disabled>Delete ${id}</button></p>
      </fieldset>
    </form>
  </div>${clientScript('repo-settings')}`;
  return layout(page, `Settings · ${id}`, body);
}
