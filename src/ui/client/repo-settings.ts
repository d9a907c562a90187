/**
 * The repo settings page: visibility and gating (`PUT /api/{T}/{repo}/settings`),
 * access requests (`…/user-access-request/handle` and `…/grant`), and deleting
 * the repo (`DELETE /api/repos/delete`) once its name is typed.
 */
import { api, enable, field, messageOf, onSubmit, showStatus } from './api.js';

const root = document.querySelector<HTMLElement>('#repo-settings');
if (root) {
  const d = root.dataset;
  const settings = (body: Record<string, unknown>): Promise<unknown> => api(`${d.api}/settings`, { method: 'PUT', json: body });

  const visibility = root.querySelector<HTMLFormElement>('#visibility-form')!;
  onSubmit(visibility, async (f) => {
    await settings({ visibility: field(f, 'visibility') });
    location.reload();
    return 'Saved.';
  });

  const gating = root.querySelector<HTMLFormElement>('#gating-form')!;
  onSubmit(gating, async (f) => {
    const mode = field(f, 'gated');
    await settings({ gated: mode === 'off' ? false : mode });
    location.reload();
    return 'Saved.';
  });

  const requests = root.querySelector<HTMLElement>('#access-requests');
  if (requests) {
    const status = requests.querySelector('#requests-status');
    requests.addEventListener('click', async (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('button[data-decide]');
      if (!button) return;
      const user = button.dataset.user!;
      const decision = button.dataset.decide!;
      const reason = button.closest('[data-request]')?.querySelector<HTMLInputElement>('input[name=reason]')?.value.trim();
      button.disabled = true;
      try {
        await api(`${d.api}/user-access-request/handle`, {
          json: { user, status: decision, ...(decision === 'rejected' && reason ? { rejectionReason: reason } : {}) },
        });
        showStatus(status, `${user}: ${decision}. Updating the lists…`, 'ok');
        location.reload();
      } catch (err) {
        showStatus(status, `${user}: ${messageOf(err)}`, 'error');
        button.disabled = false;
      }
    });
    const grant = requests.querySelector<HTMLFormElement>('#grant-form')!;
    onSubmit(grant, async (f) => {
      await api(`${d.api}/user-access-request/grant`, { json: { user: field(f, 'user').trim() } });
      location.reload();
      return 'Access granted.';
    });
  }

  const del = root.querySelector<HTMLFormElement>('#delete-repo-form')!;
  const confirmInput = del.querySelector<HTMLInputElement>('#delete-confirm')!;
  const delButton = del.querySelector<HTMLButtonElement>('button[type=submit]')!;
  const matches = (): boolean => confirmInput.value.trim() === confirmInput.dataset.expect;
  confirmInput.addEventListener('input', () => (delButton.disabled = !matches()));
  onSubmit(del, async () => {
    if (!matches()) throw new Error(`Type ${confirmInput.dataset.expect} to confirm.`);
    await api('/api/repos/delete', { method: 'DELETE', json: { type: d.repoType, organization: d.repoNamespace, name: d.repoName } });
    location.assign(`/${encodeURIComponent(d.repoNamespace!)}`);
    return 'Deleted.';
  });
  enable(root);
  delButton.disabled = !matches();
}
