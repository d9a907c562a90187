/**
 * "Add to collection" on a repo page: lists the collections the user may
 * edit (`GET /api/collections?owner=…`) and adds the repo with a note
 * (`POST /api/collections/{slug}/items`).
 */
import { api, enable, field, messageOf, onSubmit, showStatus, statusOf } from './api.js';

interface CollectionInfo {
  slug: string;
  title: string;
  private: boolean;
}

const box = document.querySelector<HTMLDetailsElement>('details.add-to-collection');
const form = box?.querySelector<HTMLFormElement>('#add-to-collection-form');
if (box && form) {
  const select = form.querySelector<HTMLSelectElement>('select[name=collection]')!;
  let loaded = false;
  const load = async (): Promise<void> => {
    if (loaded) return;
    loaded = true;
    const params = new URLSearchParams({ sort: 'position', limit: '100' });
    for (const owner of box.dataset.owners!.split(',')) params.append('owner', owner);
    const list = await api<CollectionInfo[]>(`/api/collections?${params}`);
    select.replaceChildren(
      ...list.map((c) => {
        const o = document.createElement('option');
        o.value = c.slug;
        o.textContent = `${c.slug.split('/')[0]} / ${c.title}${c.private ? ' (private)' : ''}`;
        return o;
      }),
    );
    form.querySelector<HTMLElement>('[data-no-collections]')!.hidden = list.length > 0;
    enable(form);
  };
  box.addEventListener('toggle', () => {
    if (box.open) load().catch((err: unknown) => showStatus(statusOf(form), messageOf(err), 'error'));
  });
  onSubmit(form, async (f) => {
    const slug = field(f, 'collection');
    const note = field(f, 'note').trim();
    await api(`/api/collections/${slug.split('/').map(encodeURIComponent).join('/')}/items`, {
      json: { item: { type: box.dataset.itemType, id: box.dataset.itemId }, ...(note ? { note } : {}) },
    });
    return `Added to ${select.selectedOptions[0]?.textContent ?? slug}.`;
  });
}
