/**
 * The Evaluations tab's flag form (writers of the model): sets a result's
 * `contaminated` / `unverified` flags with a note through
 * `POST /api/models/{repo}/evals/{id}/flags`, then reloads the table.
 */
import { api, enable, onSubmit } from './api.js';

const form = document.querySelector<HTMLFormElement>('form#eval-flag');
if (form) {
  const select = form.querySelector<HTMLSelectElement>('select[name=result]')!;
  const box = (name: string): HTMLInputElement => form.querySelector<HTMLInputElement>(`input[name=${name}]`)!;
  // Start from the chosen result's current flags, as the table shows them.
  const sync = (): void => {
    const row = document.querySelector(`tr[data-result="${CSS.escape(select.value)}"]`);
    const shown = [...(row?.querySelectorAll('.eval-flag') ?? [])].map((e) => e.textContent);
    box('contaminated').checked = shown.includes('contaminated');
    box('unverified').checked = shown.includes('unverified');
  };
  select.addEventListener('change', sync);
  sync();
  onSubmit(form, async () => {
    const note = form.querySelector<HTMLInputElement>('input[name=note]')!.value;
    await api(`${form.dataset.api}/${encodeURIComponent(select.value)}/flags`, {
      json: { contaminated: box('contaminated').checked, unverified: box('unverified').checked, note },
    });
    location.reload();
    return 'Saved';
  });
  enable(form);
}
