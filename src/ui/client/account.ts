/**
 * Account settings: create a token (its value is shown once, with a copy
 * button), revoke tokens, change the password.
 */
import { api, enable, field, messageOf, onSubmit, showStatus } from './api.js';

interface CreatedToken {
  token: string;
  id: string;
  displayName: string;
  role: string;
  createdAt: string;
  expiresAt: string | null;
}

function cell(text: string, cls = ''): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function revokeButton(id: string, name: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'danger';
  b.dataset.revoke = id;
  b.textContent = 'Revoke';
  b.setAttribute('aria-label', `Revoke ${name}`);
  return b;
}

const tokenForm = document.querySelector<HTMLFormElement>('#token-form');
const table = document.querySelector<HTMLTableElement>('#token-table');
if (tokenForm && table) {
  const tbody = table.tBodies[0]!;
  const empty = document.querySelector<HTMLElement>('[data-no-tokens]');
  const shown = document.querySelector<HTMLElement>('#new-token')!;
  const value = document.querySelector<HTMLElement>('#new-token-value')!;
  const copy = document.querySelector<HTMLButtonElement>('[data-copy-token]')!;
  onSubmit(tokenForm, async (f) => {
    const days = field(f, 'expiry');
    const created = await api<CreatedToken>('/api/settings/tokens', {
      json: { displayName: field(f, 'displayName').trim(), role: field(f, 'role'), ...(days ? { expiresInDays: Number(days) } : {}) },
    });
    value.textContent = created.token;
    shown.hidden = false;
    shown.focus();
    const tr = document.createElement('tr');
    tr.dataset.tokenId = created.id;
    const actions = document.createElement('td');
    actions.append(revokeButton(created.id, created.displayName));
    tr.append(cell(created.displayName, 'name'), cell(created.role), cell(created.createdAt.slice(0, 10)), cell('never'), cell(created.expiresAt ? created.expiresAt.slice(0, 10) : 'never'), actions);
    tbody.prepend(tr);
    if (empty) empty.hidden = true;
    f.reset();
    return `Created ${created.displayName}.`;
  });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value.textContent ?? '');
      copy.textContent = 'Copied';
    } catch {
      // No clipboard access (plain http): select the value so that Ctrl+C copies it.
      getSelection()?.selectAllChildren(value);
      copy.textContent = 'Selected: press Ctrl+C';
    }
    setTimeout(() => (copy.textContent = 'Copy'), 2000);
  });
  for (const b of table.querySelectorAll<HTMLButtonElement>('[data-revoke]')) b.hidden = false;
  const status = document.querySelector('#tokens-status');
  table.addEventListener('click', async (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button[data-revoke]');
    if (!button) return;
    const row = button.closest('tr')!;
    const name = row.querySelector('.name')?.textContent ?? 'the token';
    button.disabled = true;
    try {
      await api(`/api/settings/tokens/${encodeURIComponent(button.dataset.revoke!)}`, { method: 'DELETE' });
      row.remove();
      showStatus(status, `Revoked ${name}: it no longer works.`, 'ok');
      if (empty && tbody.rows.length === 0) empty.hidden = false;
    } catch (err) {
      button.disabled = false;
      showStatus(status, messageOf(err), 'error');
    }
  });
  enable(tokenForm);
}

const password = document.querySelector<HTMLFormElement>('#password-form');
if (password) {
  onSubmit(password, async (f) => {
    if (field(f, 'newPassword') !== field(f, 'again')) throw new Error('The two new passwords differ.');
    await api('/api/settings/password', { json: { oldPassword: field(f, 'oldPassword'), newPassword: field(f, 'newPassword') } });
    f.reset();
    return 'Password changed. Your other sessions were signed out.';
  });
  enable(password);
}
