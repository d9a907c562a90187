import { bypassesGate } from '../../auth/policy.js';
import { type GateField, gateFields } from '../../services/gate-form.js';
import type { Hub } from '../../services/hub.js';
import { tagsOf } from '../../services/listing.js';
import { accessInfo, type RepoRow } from '../../services/repos.js';
import { clientScript, formStatus, needsJs, repoData } from '../forms.js';
import { html, type SafeHtml, timeAgo } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { repoBase, repoHeader } from './repo.js';

function control(f: GateField, i: number): SafeHtml {
  const id = `gate-field-${i}`;
  const attrs = html`id="${id}" data-label="${f.label}" required`;
  switch (f.type) {
    case 'checkbox':
      return html`<div><label class="choice"><input type="checkbox" ${attrs}> ${f.label}</label></div>`;
    case 'date_picker':
      return html`<div><label for="${id}">${f.label}</label><input type="date" ${attrs}></div>`;
    case 'select':
      return html`<div><label for="${id}">${f.label}</label><select ${attrs}><option value="">Choose…</option>${(f.options ?? []).map((o) => html`<option value="${o}">${o}</option>`)}</select></div>`;
    case 'country':
      return html`<div><label for="${id}">${f.label}</label><input type="text" autocomplete="country-name" ${attrs}></div>`;
    default:
      return html`<div><label for="${id}">${f.label}</label><input type="text" maxlength="1000" ${attrs}></div>`;
  }
}

async function ownRequest(hub: Hub, row: RepoRow, userId: string) {
  return hub.db.selectFrom('gated_requests').select(['status', 'created_at', 'rejection_reason']).where('repo_id', '=', row.id).where('user_id', '=', userId).executeTakeFirst();
}

/**
 * `/{repo}/access`: the form a gated repo asks its downloaders to fill in
 * (the card's `extra_gated_fields`), or the visitor's current status.
 */
export async function accessPage(hub: Hub, page: PageContext, row: RepoRow): Promise<string> {
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const base = repoBase(row);
  const card = row.card_data ? (JSON.parse(row.card_data) as Record<string, unknown>) : undefined;
  const files = html`<a href="${base}/tree/${encodeURIComponent(row.default_branch)}">its files</a>`;
  let content: SafeHtml;
  if (!row.gated) {
    content = html`<p class="empty">This ${row.type} is not gated: ${files} are open to everyone who can see it.</p>`;
  } else if (page.actor.kind !== 'user') {
    content = html`<p class="notice">Sign in to ask for access to this ${row.type}'s files.</p>
      <p><a class="button primary" href="/login?next=${encodeURIComponent(`${base}/access`)}">Sign in</a></p>`;
  } else if (bypassesGate(page.actor, accessInfo(row))) {
    content = html`<p class="empty">You have access to ${files} through your role in ${row.namespace}.</p>`;
  } else {
    const mine = await ownRequest(hub, row, page.actor.user.id);
    if (mine?.status === 'accepted') content = html`<p class="notice ok-notice" data-access-status="accepted">Your request was accepted: you can download ${files}.</p>`;
    else if (mine?.status === 'pending') content = html`<p class="notice" data-access-status="pending">Your request, sent ${timeAgo(mine.created_at)}, is waiting for the owners of ${row.namespace}.</p>`;
    else if (mine?.status === 'rejected') {
      content = html`<p class="notice" data-access-status="rejected">Your request was rejected${mine.rejection_reason ? html`: ${mine.rejection_reason}` : ''}. Ask the owners of ${row.namespace} if you think this is a mistake.</p>`;
    } else {
      const form = gateFields(card);
      const prompt = typeof card?.extra_gated_prompt === 'string' ? card.extra_gated_prompt : undefined;
      content = html`<form class="stack narrow" id="access-form" ${repoData(row)}>
        ${prompt ? html`<p>${prompt}</p>` : ''}
        <p class="small muted">Your user name, full name and email are shared with the owners of ${row.namespace}.
          ${row.gated === 'auto' ? 'Requests are accepted at once.' : 'They review requests by hand.'}</p>
        ${needsJs('Requesting access')}
        <fieldset data-needs-js disabled>
          ${form.map(control)}
          ${formStatus()}
          <button class="primary" type="submit">${form.length ? 'Agree and request access' : 'Request access'}</button>
        </fieldset>
      </form>${clientScript('access')}`;
    }
  }
  const body = html`${repoHeader(page.actor, row, 'card', tags)}<h2>Access to ${row.namespace}/${row.name}</h2>${content}`;
  return layout(page, `Access · ${row.namespace}/${row.name}`, body);
}
