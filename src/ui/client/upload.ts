/**
 * The upload page: files and folders from the pickers or a drop, a list of
 * what will be committed, a progress bar over the bytes, and Cancel. The
 * protocol itself is in upload-protocol.ts. Cancel never lets the commit
 * through: an uploaded but uncommitted LFS object is in no tree, so the repo
 * does not change.
 */
import { enable, messageOf, showStatus, statusOf } from './api.js';
import { collectDrop, type Picked } from './pick-files.js';
import { formatBytes } from './format.js';
import { type Item, Upload } from './upload-protocol.js';


function setup(form: HTMLFormElement): void {
  const picked = new Map<string, Picked>();
  const listBox = form.querySelector<HTMLElement>('[data-file-list]')!;
  const tbody = listBox.querySelector('tbody')!;
  const total = form.querySelector<HTMLElement>('[data-file-total]')!;
  const progressBox = form.querySelector<HTMLElement>('[data-progress]')!;
  const progress = form.querySelector<HTMLProgressElement>('progress')!;
  const progressText = form.querySelector<HTMLElement>('[data-progress-text]')!;
  const submit = form.querySelector<HTMLButtonElement>('[data-upload]')!;
  const cancel = form.querySelector<HTMLButtonElement>('[data-cancel]')!;
  const status = statusOf(form);
  const done = document.querySelector<HTMLElement>('[data-done]')!;
  const inputs = [...form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea'), form.querySelector<HTMLButtonElement>('[data-clear]')!];
  let current: Upload | undefined;
  const cells = new Map<string, HTMLElement>();

  const render = (): void => {
    tbody.replaceChildren();
    cells.clear();
    let bytes = 0;
    for (const p of [...picked.values()].sort((a, b) => a.rel.localeCompare(b.rel))) {
      bytes += p.file.size;
      const tr = document.createElement('tr');
      const name = document.createElement('td');
      name.className = 'name';
      name.textContent = p.rel;
      const size = document.createElement('td');
      size.className = 'size';
      size.textContent = formatBytes(p.file.size);
      const state = document.createElement('td');
      state.className = 'size';
      state.textContent = 'to upload';
      cells.set(p.rel, state);
      tr.append(name, size, state);
      tbody.append(tr);
    }
    listBox.hidden = picked.size === 0;
    total.textContent = `${picked.size} file${picked.size === 1 ? '' : 's'}, ${formatBytes(bytes)}.`;
  };

  const add = (files: Picked[]): void => {
    let skipped = 0;
    for (const p of files) {
      // git's own folder is never part of a repo's content.
      if (p.rel.split('/').includes('.git')) skipped++;
      else picked.set(p.rel, p);
    }
    done.hidden = true;
    render();
    showStatus(status, skipped ? `${skipped} file${skipped === 1 ? '' : 's'} inside .git/ left out.` : '');
  };

  for (const input of form.querySelectorAll<HTMLInputElement>('input[type=file]')) {
    input.addEventListener('change', () => {
      add([...(input.files ?? [])].map((file) => ({ file, rel: file.webkitRelativePath || file.name })));
      input.value = '';
    });
  }
  form.querySelector('[data-clear]')!.addEventListener('click', () => {
    picked.clear();
    render();
  });

  const zone = form.querySelector<HTMLElement>('[data-dropzone]')!;
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (!e.dataTransfer || current) return;
    collectDrop(e.dataTransfer).then(add, (err: unknown) => showStatus(status, messageOf(err), 'error'));
  });

  const busy = (on: boolean): void => {
    for (const el of inputs) el.disabled = on;
    submit.disabled = on;
    cancel.disabled = !on;
  };
  const warnLeaving = (e: BeforeUnloadEvent): void => e.preventDefault();

  cancel.addEventListener('click', () => {
    if (!current || current.committing) return;
    current.cancel();
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (current) return;
    if (picked.size === 0) return showStatus(status, 'Choose files or a folder first.', 'error');
    const dir = (form.elements.namedItem('dir') as HTMLInputElement).value.trim().replace(/^\/+|\/+$/g, '');
    const items: Item[] = [...picked.values()].map((p) => ({ ...p, path: dir ? `${dir}/${p.rel}` : p.rel, mode: 'regular', sent: 0, cell: cells.get(p.rel) }));
    const bytes = items.reduce((n, i) => n + i.file.size, 0);
    const summaryInput = (form.elements.namedItem('summary') as HTMLInputElement).value.trim();
    const summary = summaryInput || (items.length === 1 ? `Upload ${items[0]!.path}` : `Upload ${items.length} files`);
    const description = (form.elements.namedItem('description') as HTMLTextAreaElement).value;
    const onProgress = (): void => {
      const sent = items.reduce((n, i) => n + i.sent, 0);
      progress.max = Math.max(1, bytes);
      progress.value = bytes ? sent : 1;
      const pct = bytes ? Math.floor((100 * sent) / bytes) : 100;
      progressText.textContent = `${formatBytes(sent)} of ${formatBytes(bytes)} sent (${pct}%)`;
      progress.setAttribute('aria-valuetext', progressText.textContent);
      // The commit is on its way: from here Cancel could not keep its promise.
      if (current?.committing) cancel.disabled = true;
    };
    current = new Upload(form, items, onProgress, (text) => showStatus(status, text));
    progressBox.hidden = false;
    onProgress();
    busy(true);
    addEventListener('beforeunload', warnLeaving);
    try {
      const result = await current.run(summary, description);
      const short = result.commitOid.slice(0, 7);
      const link = document.createElement('a');
      link.href = form.dataset.filesUrl!;
      link.textContent = 'See the files';
      const commit = document.createElement('a');
      commit.href = `${form.dataset.base}/commit/${result.commitOid}`;
      commit.textContent = short;
      done.replaceChildren(`Committed ${items.length} file${items.length === 1 ? '' : 's'} as `, commit, '. ', link, '.');
      done.hidden = false;
      showStatus(status, 'Done.', 'ok');
      picked.clear();
      render();
      done.focus();
    } catch (err) {
      const cancelled = current.signal.aborted;
      showStatus(status, cancelled ? 'Upload cancelled: nothing was committed.' : `Upload failed: ${messageOf(err)} Nothing was committed.`, 'error');
      for (const it of items) {
        if (it.cell && it.sent < it.file.size) it.cell.textContent = cancelled ? 'cancelled' : 'not sent';
      }
    } finally {
      removeEventListener('beforeunload', warnLeaving);
      current = undefined;
      busy(false);
    }
  });
  enable(form);
  cancel.disabled = true;
}

const form = document.querySelector<HTMLFormElement>('#upload-form');
if (form) setup(form);
