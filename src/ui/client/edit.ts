/**
 * The text editor: checks a card's metadata with `/api/validate-yaml`, then
 * commits the file with `parentCommit`, so that a change made since the page
 * was opened is refused (412) rather than overwritten.
 */
import { api, ApiError, enable, field, onSubmit } from './api.js';

function utf8Base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const form = document.querySelector<HTMLFormElement>('#edit-form');
if (form) {
  const errors = form.querySelector<HTMLUListElement>('[data-errors]')!;
  const showErrors = (list: string[]): void => {
    errors.replaceChildren(...list.map((m) => Object.assign(document.createElement('li'), { textContent: m })));
    errors.hidden = list.length === 0;
  };
  onSubmit(form, async (f) => {
    const d = f.dataset;
    const content = field(f, 'content');
    showErrors([]);
    if (d.card === 'true') {
      try {
        await api('/api/validate-yaml', { json: { content, repoType: d.repoType } });
      } catch (err) {
        if (err instanceof ApiError && err.status === 400) {
          const list = (err.body as { errors?: { message?: string }[] } | undefined)?.errors ?? [];
          showErrors(list.map((e) => String(e.message ?? '')).filter(Boolean));
          throw new ApiError(400, 'The metadata at the top of the card is not valid: fix it and save again.', err.code, err.body);
        }
        throw err;
      }
    }
    const summary = field(f, 'summary').trim() || `Update ${d.path}`;
    const lines = [
      { key: 'header', value: { summary, description: '', parentCommit: d.parent } },
      { key: 'file', value: { path: d.path, content: utf8Base64(content), encoding: 'base64' } },
    ];
    try {
      await api(`${d.api}/commit/${encodeURIComponent(d.branch!)}`, {
        headers: { 'Content-Type': 'application/x-ndjson' },
        body: lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        throw new ApiError(412, `Someone changed this file (or another one on ${d.branch}) since you opened the editor, so nothing was saved. Copy your text, reload the page, and apply your changes again.`, err.code, err.body);
      }
      throw err;
    }
    location.assign(d.after!);
    return 'Saved. Opening it…';
  });
  enable(form);
}
