/** A gated repo's access form: answers keyed by the card's labels, to `POST …/user-access-request`. */
import { api, enable, onSubmit } from './api.js';

const form = document.querySelector<HTMLFormElement>('#access-form');
if (form) {
  onSubmit(form, async (f) => {
    const fields: Record<string, string | boolean> = {};
    for (const el of f.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-label]')) {
      fields[el.dataset.label!] = el instanceof HTMLInputElement && el.type === 'checkbox' ? el.checked : el.value.trim();
    }
    await api(`${f.dataset.api}/user-access-request`, { json: { fields } });
    location.reload();
    return 'Sent.';
  });
  enable(form);
}
