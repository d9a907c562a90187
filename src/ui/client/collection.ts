/**
 * Collection pages: create a collection (`POST /api/collections`); on a
 * collection, reorder items (`PATCH …/items/{id}` with `position`), edit
 * their notes, remove them, add a repo, change the title, description and
 * visibility (`PATCH`), and delete the collection.
 */
import { api, enable, field, messageOf, onSubmit, showStatus } from './api.js';

interface Collection {
  slug: string;
}

const create = document.querySelector<HTMLFormElement>('#new-collection-form');
if (create) {
  onSubmit(create, async (f) => {
    const description = field(f, 'description').trim();
    const c = await api<Collection>('/api/collections', {
      json: {
        title: field(f, 'title').trim(),
        namespace: field(f, 'namespace'),
        private: f.querySelector<HTMLInputElement>('input[name=private]')!.checked,
        ...(description ? { description } : {}),
      },
    });
    location.assign(`/collections/${c.slug}`);
    return 'Created. Opening it…';
  });
  enable(create);
}

const root = document.querySelector<HTMLElement>('#collection');
const addForm = root?.querySelector<HTMLFormElement>('#add-item-form');
if (root && addForm) {
  const base = root.dataset.api!;
  const status = root.querySelector('#collection-status');
  const itemUrl = (li: Element): string => `${base}/items/${encodeURIComponent((li as HTMLElement).dataset.item!)}`;

  root.addEventListener('click', async (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button[data-move], button[data-remove]');
    const li = button?.closest<HTMLElement>('li[data-item]');
    if (!button || !li) return;
    button.disabled = true;
    try {
      if (button.dataset.remove !== undefined) {
        await api(itemUrl(li), { method: 'DELETE' });
      } else {
        const to = Number(li.dataset.position) + Number(button.dataset.move);
        await api(itemUrl(li), { method: 'PATCH', json: { position: to } });
      }
      showStatus(status, 'Saved. Updating…', 'ok');
      location.reload();
    } catch (err) {
      showStatus(status, messageOf(err), 'error');
      button.disabled = false;
    }
  });

  for (const form of root.querySelectorAll<HTMLFormElement>('form[data-note-form]')) {
    onSubmit(form, async (f) => {
      await api(itemUrl(f.closest('li[data-item]')!), { method: 'PATCH', json: { note: field(f, 'note').trim() } });
      location.reload();
      return 'Saved.';
    });
  }

  onSubmit(addForm, async (f) => {
    const note = field(f, 'note').trim();
    await api(`${base}/items`, { json: { item: { type: field(f, 'type'), id: field(f, 'id').trim() }, ...(note ? { note } : {}) } });
    location.reload();
    return 'Added.';
  });

  const settings = root.querySelector<HTMLFormElement>('#edit-collection-form')!;
  onSubmit(settings, async (f) => {
    const c = await api<{ data: Collection }>(base, {
      method: 'PATCH',
      json: { title: field(f, 'title').trim(), description: field(f, 'description').trim(), private: f.querySelector<HTMLInputElement>('input[name=private]')!.checked },
    });
    // The slug follows the title.
    location.assign(`/collections/${c.data.slug}`);
    return 'Saved.';
  });

  const del = root.querySelector<HTMLButtonElement>('#delete-collection')!;
  del.hidden = false;
  del.addEventListener('click', async () => {
    if (!confirm('Delete this collection? The repos stay.')) return;
    del.disabled = true;
    try {
      await api(base, { method: 'DELETE' });
      location.assign(`/collections/${root.dataset.slug!.split('/')[0]}`);
    } catch (err) {
      showStatus(status, messageOf(err), 'error');
      del.disabled = false;
    }
  });
  enable(root);
}
