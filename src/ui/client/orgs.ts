/** Organizations: create one; on its page, admins change roles, add and remove members. */
import { api, enable, field, messageOf, onSubmit, showStatus } from './api.js';

const create = document.querySelector<HTMLFormElement>('#new-org-form');
if (create) {
  onSubmit(create, async (f) => {
    const name = field(f, 'name').trim();
    const fullname = field(f, 'fullname').trim();
    await api('/api/organizations', { json: { name, ...(fullname ? { fullname } : {}) } });
    location.assign(`/${encodeURIComponent(name)}`);
    return 'Created. Opening it…';
  });
  enable(create);
}

const members = document.querySelector<HTMLElement>('#org-members');
if (members) {
  const org = members.dataset.org!;
  const status = members.querySelector('#members-status');
  const url = (user: string): string => `/api/organizations/${encodeURIComponent(org)}/members/${encodeURIComponent(user)}`;

  members.addEventListener('change', async (e) => {
    const select = (e.target as Element).closest<HTMLSelectElement>('select[data-role-of]');
    if (!select) return;
    const user = select.dataset.roleOf!;
    const before = select.querySelector<HTMLOptionElement>('option[selected]')?.value;
    select.disabled = true;
    try {
      await api(url(user), { method: 'PUT', json: { role: select.value } });
      for (const o of select.options) o.defaultSelected = o.value === select.value;
      showStatus(status, `${user} is now ${select.value}.`, 'ok');
    } catch (err) {
      if (before) select.value = before;
      showStatus(status, messageOf(err), 'error');
    } finally {
      select.disabled = false;
    }
  });

  for (const b of members.querySelectorAll<HTMLButtonElement>('button[data-remove]')) b.hidden = false;
  members.addEventListener('click', async (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button[data-remove]');
    if (!button) return;
    const user = button.dataset.remove!;
    button.disabled = true;
    try {
      await api(url(user), { method: 'DELETE' });
      button.closest('tr')?.remove();
      showStatus(status, `${user} was removed from ${org}.`, 'ok');
    } catch (err) {
      button.disabled = false;
      showStatus(status, messageOf(err), 'error');
    }
  });

  const add = members.querySelector<HTMLFormElement>('#add-member-form');
  if (add) {
    onSubmit(add, async (f) => {
      await api(url(field(f, 'user').trim()), { method: 'PUT', json: { role: field(f, 'role') } });
      location.reload();
      return 'Added.';
    });
    enable(add);
  }
}
