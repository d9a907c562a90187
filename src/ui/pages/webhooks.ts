import type { Hub } from '../../services/hub.js';
import { type DeliveryInfo, listDeliveries, listWebhooks, type Watched, type WebhookInfo, getWebhook } from '../../services/webhooks.js';
import { clientScript, formStatus, needsJs } from '../forms.js';
import { html, type SafeHtml, timeAgo } from '../html.js';
import type { PageContext } from '../layout.js';
import { settingsLayout } from './account.js';

type SignedIn = PageContext & { actor: Extract<PageContext['actor'], { kind: 'user' }> };

export const DELIVERIES_PER_PAGE = 50;

/** Watched items as the form writes them: one `type name` per line. */
function watchedText(watched: Watched[]): string {
  return watched.map((w) => `${w.type} ${w.name}`).join('\n');
}

function watchedLink(w: Watched): SafeHtml {
  const href = w.type === 'user' || w.type === 'org' || w.type === 'model' ? `/${w.name}` : `/${w.type}s/${w.name}`;
  return html`<a href="${href}">${w.name}</a> <span class="muted small">${w.type}</span>`;
}

function enabledPill(w: WebhookInfo): SafeHtml {
  return w.disabled ? html`<span class="pill private" data-state>disabled</span>` : html`<span class="pill" data-state>enabled</span>`;
}

/** The fields shared by the create and edit forms. */
function fields(prefix: string, w: WebhookInfo | undefined): SafeHtml {
  const domains = w?.domains ?? ['repo', 'discussion'];
  return html`
    <div><label for="${prefix}-url">Target URL</label><input id="${prefix}-url" name="url" type="url" required maxlength="2048" placeholder="https://example.org/hooks/orchard" value="${w?.url ?? ''}" ${w ? '' : html`autofocus`}></div>
    <div><label for="${prefix}-watched">Watched</label>
      <textarea id="${prefix}-watched" name="watched" rows="3" required spellcheck="false" aria-describedby="${prefix}-watched-help" placeholder="model alice/my-model">${w ? watchedText(w.watched) : ''}</textarea>
      <p class="small muted" id="${prefix}-watched-help">One per line: <code>model alice/my-model</code>, <code>dataset …</code>, <code>space …</code> (repos you can read), <code>user yourname</code> (all your repos), or <code>org name</code> (all of an org's repos, for its admins).</p></div>
    <fieldset class="choices"><legend>Events</legend>
      <label class="choice"><input type="checkbox" name="domains" value="repo" ${domains.includes('repo') ? html`checked` : ''}> Repo <span class="small muted">— pushes, creation, deletion, renames, visibility and gating changes</span></label>
      <label class="choice"><input type="checkbox" name="domains" value="discussion" ${domains.includes('discussion') ? html`checked` : ''}> Community <span class="small muted">— discussions, pull requests and comments</span></label>
    </fieldset>
    <div><label for="${prefix}-secret">Secret</label><input id="${prefix}-secret" name="secret" type="text" maxlength="256" autocomplete="off" spellcheck="false" aria-describedby="${prefix}-secret-help" ${w?.secret ? html`placeholder="unchanged"` : ''}>
      <p class="small muted" id="${prefix}-secret-help">${w
        ? (w.secret ? 'Deliveries are signed with the current secret. Type a new one to replace it.' : 'No secret: deliveries are not signed. Type one to start signing them.')
        : html`Signs each delivery (<code>X-Orchard-Signature-256</code>, HMAC-SHA256 of <code>{timestamp}.{body}</code>). Optional, recommended.`}</p></div>`;
}

/** `/settings/webhooks`: the user's webhooks, and a form to create one. */
export async function webhooksPage(hub: Hub, page: SignedIn): Promise<string> {
  const webhooks = await listWebhooks(hub, page.actor);
  const content = html`
  <section class="settings-section">
    <h2>Create a webhook</h2>
    <p class="small muted">The hub sends a signed JSON <code>POST</code> to your URL when something happens to the repos you watch, retrying with back-off until your server answers 2xx.</p>
    <form class="stack" id="webhook-form">
      ${needsJs('Creating a webhook')}
      <fieldset data-needs-js disabled>
        ${fields('webhook', undefined)}
        ${formStatus()}
        <button class="primary" type="submit">Create webhook</button>
      </fieldset>
    </form>
  </section>
  <section class="settings-section">
    <h2>Your webhooks</h2>
    ${formStatus('webhooks-status')}
    ${webhooks.length
      ? html`<div class="scroll-x"><table class="files" id="webhook-table"><thead><tr><th scope="col">Target</th><th scope="col">Watching</th><th scope="col">Events</th><th scope="col">State</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
      <tbody>${webhooks.map((w) => html`<tr data-webhook-id="${w.id}" data-disabled="${w.disabled ? '1' : '0'}">
        <td class="name"><a href="/settings/webhooks/${w.id}">${w.url}</a></td>
        <td>${w.watched.map((x, i) => html`${i ? ', ' : ''}${watchedLink(x)}`)}</td>
        <td>${w.domains.join(', ')}</td>
        <td>${enabledPill(w)}</td>
        <td class="row"><button type="button" data-toggle hidden>${w.disabled ? 'Enable' : 'Disable'}</button><button type="button" class="danger" data-delete hidden aria-label="Delete the webhook to ${w.url}">Delete</button></td></tr>`)}</tbody></table></div>`
      : html`<p class="empty">You have no webhooks yet.</p>`}
  </section>${clientScript('webhooks')}`;
  return settingsLayout(page, 'webhooks', 'Webhooks', content);
}

function deliveryStatus(d: DeliveryInfo): SafeHtml {
  const cls = d.status === 'failed' ? 'pill private' : 'pill';
  return html`<span class="${cls} delivery-${d.status}">${d.status}</span>`;
}

function deliveryRow(d: DeliveryInfo): SafeHtml {
  return html`<tr data-delivery-id="${d.id}" data-status="${d.status}">
    <td><code>${d.event}</code>${d.redeliveryOf ? html` <span class="muted small">(redelivery)</span>` : ''}</td>
    <td>${d.repo.name}</td>
    <td>${deliveryStatus(d)}</td>
    <td class="size">${String(d.attempts)}</td>
    <td class="size" data-response>${d.responseStatus === null ? html`<span class="muted">—</span>` : String(d.responseStatus)}</td>
    <td class="size">${d.responseTimeMs === null ? '' : `${d.responseTimeMs} ms`}</td>
    <td class="when"><time datetime="${d.createdAt}" title="${d.createdAt}">${timeAgo(d.createdAt)}</time></td>
    <td class="small">${d.error ?? ''}${d.status === 'pending' && d.nextAttemptAt && d.attempts > 0 ? html` <span class="muted">· next try <time datetime="${d.nextAttemptAt}">${d.nextAttemptAt.slice(11, 19)}</time> UTC</span>` : ''}</td>
    <td><button type="button" data-redeliver="${d.id}" hidden aria-label="Redeliver ${d.event} of ${d.createdAt}">Redeliver</button></td>
  </tr>`;
}

/** `/settings/webhooks/{id}`: edit, enable or disable, delete; the delivery log with Redeliver buttons. */
export async function webhookPage(hub: Hub, page: SignedIn, id: string, pageNo: number): Promise<string> {
  const w = await getWebhook(hub, page.actor, id);
  const { deliveries, hasMore } = await listDeliveries(hub, page.actor, id, pageNo * DELIVERIES_PER_PAGE, DELIVERIES_PER_PAGE);
  const content = html`
  <p><a href="/settings/webhooks">← All webhooks</a></p>
  <section class="settings-section" id="webhook" data-webhook-id="${w.id}" data-disabled="${w.disabled ? '1' : '0'}">
    <h2>Webhook to <span class="name">${w.url}</span> ${enabledPill(w)}</h2>
    <form class="stack" id="webhook-edit-form">
      ${needsJs('Editing a webhook')}
      <fieldset data-needs-js disabled>
        ${fields('webhook-edit', w)}
        ${formStatus()}
        <div class="row"><button class="primary" type="submit">Save</button>
          <button type="button" data-toggle>${w.disabled ? 'Enable' : 'Disable'}</button>
          <button type="button" class="danger" data-delete>Delete webhook</button></div>
      </fieldset>
    </form>
  </section>
  <section class="settings-section">
    <h2>Deliveries</h2>
    <p class="small muted">Newest first. A failed attempt is retried with growing delays; deliveries of one repo are sent in order. <a href="/settings/webhooks/${w.id}${pageNo ? `?page=${pageNo}` : ''}" data-refresh>Refresh</a></p>
    ${formStatus('deliveries-status')}
    ${deliveries.length
      ? html`<div class="scroll-x"><table class="files" id="delivery-table"><thead><tr><th scope="col">Event</th><th scope="col">Repo</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Response</th><th scope="col">Time</th><th scope="col">Queued</th><th scope="col">Error</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
        <tbody>${deliveries.map(deliveryRow)}</tbody></table></div>`
      : html`<p class="empty" id="no-deliveries">No deliveries yet: they appear here when a watched repo changes.</p>`}
    <p class="row">${pageNo > 0 ? html`<a href="/settings/webhooks/${w.id}${pageNo > 1 ? `?page=${pageNo - 1}` : ''}">Newer</a>` : ''}${hasMore ? html`<a href="/settings/webhooks/${w.id}?page=${pageNo + 1}">Older</a>` : ''}</p>
  </section>${clientScript('webhooks')}`;
  return settingsLayout(page, 'webhooks', 'Webhook', content);
}
