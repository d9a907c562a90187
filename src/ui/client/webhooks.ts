/**
 * Webhook settings: create a webhook, edit it, enable or disable it, delete
 * it, and redeliver a delivery. Everything goes through
 * `/api/settings/webhooks` with the session's CSRF token.
 */
import { api, enable, field, messageOf, onSubmit, showStatus } from './api.js';

interface Webhook {
  id: string;
  url: string;
  disabled: boolean;
}

interface Delivery {
  id: string;
  event: string;
  repo: { name: string };
  status: string;
  attempts: number;
  createdAt: string;
}

const TYPES = ['model', 'dataset', 'space', 'user', 'org'];

/** `type name` per line; a bare `ns/name` is a model. */
function parseWatched(text: string): { type: string; name: string }[] {
  const out: { type: string; name: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const parts = line.split(/\s+/);
    if (parts.length === 1 && parts[0]!.includes('/')) out.push({ type: 'model', name: parts[0]! });
    else if (parts.length === 2 && TYPES.includes(parts[0]!.toLowerCase())) out.push({ type: parts[0]!.toLowerCase(), name: parts[1]! });
    else throw new Error(`Watched, line ${i + 1}: write "model alice/my-model", "dataset …", "space …", "user yourname" or "org name".`);
  });
  if (out.length === 0) throw new Error('Watch at least one repo, user or org.');
  return out;
}

function domainsOf(form: HTMLFormElement): string[] {
  return [...form.querySelectorAll<HTMLInputElement>('input[name=domains]:checked')].map((i) => i.value);
}

const endpoint = (id: string): string => `/api/settings/webhooks/${encodeURIComponent(id)}`;

async function setDisabled(id: string, disabled: boolean): Promise<Webhook> {
  return (await api<{ webhook: Webhook }>(`${endpoint(id)}/${disabled ? 'disable' : 'enable'}`, { method: 'POST' })).webhook;
}

/**
 * Deleting asks twice in the page (no `confirm()` dialog): the first click
 * turns the button into "Confirm delete"; only a second click deletes.
 */
function armed(button: HTMLButtonElement): boolean {
  if (button.dataset.armed === '1') return true;
  button.dataset.armed = '1';
  button.textContent = 'Confirm delete';
  button.focus();
  return false;
}

function showState(container: Element, w: Webhook): void {
  (container as HTMLElement).dataset.disabled = w.disabled ? '1' : '0';
  const pill = container.querySelector<HTMLElement>('[data-state]');
  if (pill) {
    pill.textContent = w.disabled ? 'disabled' : 'enabled';
    pill.classList.toggle('private', w.disabled);
  }
  const toggle = container.querySelector<HTMLButtonElement>('[data-toggle]');
  if (toggle) toggle.textContent = w.disabled ? 'Enable' : 'Disable';
}

// ---- /settings/webhooks: create, and the list's buttons
const createForm = document.querySelector<HTMLFormElement>('#webhook-form');
if (createForm) {
  onSubmit(createForm, async (f) => {
    const secret = field(f, 'secret');
    const { webhook } = await api<{ webhook: Webhook }>('/api/settings/webhooks', {
      json: { url: field(f, 'url').trim(), watched: parseWatched(field(f, 'watched')), domains: domainsOf(f), ...(secret ? { secret } : {}) },
    });
    location.assign(`/settings/webhooks/${encodeURIComponent(webhook.id)}`);
    return 'Created.';
  });
  enable(createForm);
}

const table = document.querySelector<HTMLTableElement>('#webhook-table');
if (table) {
  const status = document.querySelector('#webhooks-status');
  for (const b of table.querySelectorAll<HTMLButtonElement>('[data-toggle], [data-delete]')) b.hidden = false;
  table.addEventListener('click', async (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button');
    const row = button?.closest<HTMLTableRowElement>('tr[data-webhook-id]');
    if (!button || !row) return;
    const id = row.dataset.webhookId!;
    const url = row.querySelector('.name')?.textContent ?? 'the webhook';
    button.disabled = true;
    try {
      if (button.hasAttribute('data-toggle')) {
        const w = await setDisabled(id, row.dataset.disabled !== '1');
        showState(row, w);
        showStatus(status, `${w.disabled ? 'Disabled' : 'Enabled'} the webhook to ${w.url}.`, 'ok');
      } else if (button.hasAttribute('data-delete')) {
        if (!armed(button)) {
          showStatus(status, `Click "Confirm delete" to delete the webhook to ${url} and its delivery log.`);
          return;
        }
        await api(endpoint(id), { method: 'DELETE' });
        row.remove();
        showStatus(status, `Deleted the webhook to ${url}.`, 'ok');
      }
    } catch (err) {
      showStatus(status, messageOf(err), 'error');
    } finally {
      button.disabled = false;
    }
  });
}

// ---- /settings/webhooks/{id}: edit, toggle, delete, redeliver
const section = document.querySelector<HTMLElement>('#webhook');
const editForm = document.querySelector<HTMLFormElement>('#webhook-edit-form');
if (section && editForm) {
  const id = section.dataset.webhookId!;
  const status = editForm.querySelector<HTMLElement>('[data-status]');
  onSubmit(editForm, async (f) => {
    const secret = field(f, 'secret');
    const { webhook } = await api<{ webhook: Webhook }>(endpoint(id), {
      json: { url: field(f, 'url').trim(), watched: parseWatched(field(f, 'watched')), domains: domainsOf(f), ...(secret ? { secret } : {}) },
    });
    const title = section.querySelector('h2 .name');
    if (title) title.textContent = webhook.url;
    (f.elements.namedItem('secret') as HTMLInputElement).value = '';
    return 'Saved.';
  });
  editForm.querySelector('[data-toggle]')?.addEventListener('click', async (e) => {
    const button = e.currentTarget as HTMLButtonElement;
    button.disabled = true;
    try {
      const w = await setDisabled(id, section.dataset.disabled !== '1');
      showState(section, w);
      showStatus(status, w.disabled ? 'Disabled: new events are not queued; pending deliveries wait.' : 'Enabled.', 'ok');
    } catch (err) {
      showStatus(status, messageOf(err), 'error');
    } finally {
      button.disabled = false;
    }
  });
  editForm.querySelector('[data-delete]')?.addEventListener('click', async (e) => {
    if (!armed(e.currentTarget as HTMLButtonElement)) {
      showStatus(status, 'Click "Confirm delete" to delete this webhook and its delivery log.');
      return;
    }
    try {
      await api(endpoint(id), { method: 'DELETE' });
      location.assign('/settings/webhooks');
    } catch (err) {
      showStatus(status, messageOf(err), 'error');
    }
  });
  enable(editForm);

  const deliveries = document.querySelector<HTMLTableElement>('#delivery-table');
  if (deliveries) {
    const logStatus = document.querySelector('#deliveries-status');
    for (const b of deliveries.querySelectorAll<HTMLButtonElement>('[data-redeliver]')) b.hidden = false;
    deliveries.addEventListener('click', async (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('button[data-redeliver]');
      if (!button) return;
      button.disabled = true;
      try {
        const { delivery } = await api<{ delivery: Delivery }>(`${endpoint(id)}/deliveries/${encodeURIComponent(button.dataset.redeliver!)}/redeliver`, { method: 'POST' });
        // The new delivery heads the log; the page's Refresh link shows how it went.
        const tr = document.createElement('tr');
        tr.dataset.deliveryId = delivery.id;
        tr.dataset.status = delivery.status;
        const cells = [delivery.event, delivery.repo.name, delivery.status, String(delivery.attempts), '—', '', 'just now', 'queued again', ''];
        for (const text of cells) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        deliveries.tBodies[0]!.prepend(tr);
        showStatus(logStatus, `Queued again as delivery ${delivery.id}.`, 'ok');
      } catch (err) {
        showStatus(logStatus, messageOf(err), 'error');
      } finally {
        button.disabled = false;
      }
    });
  }
}
