/** Writers' actions on the files pages: delete a file (a `deletedFile` commit) and create a branch. */
import { api, ApiError, enable, field, onSubmit, pathSegments } from './api.js';

const del = document.querySelector<HTMLFormElement>('#delete-file-form');
const open = document.querySelector<HTMLButtonElement>('[data-delete-open]');
if (del && open) {
  const toggle = (show: boolean): void => {
    del.hidden = !show;
    open.setAttribute('aria-expanded', String(show));
    if (show) del.querySelector<HTMLButtonElement>('button[type=submit]')?.focus();
    else open.focus();
  };
  open.hidden = false;
  open.addEventListener('click', () => toggle(del.hidden));
  del.querySelector('[data-delete-cancel]')?.addEventListener('click', () => toggle(false));
  onSubmit(del, async (f) => {
    const d = f.dataset;
    const header = { key: 'header', value: { summary: field(f, 'summary').trim() || `Delete ${d.path}`, description: '', parentCommit: d.parent } };
    try {
      await api(`${d.api}/commit/${encodeURIComponent(d.branch!)}`, {
        headers: { 'Content-Type': 'application/x-ndjson' },
        body: `${JSON.stringify(header)}\n${JSON.stringify({ key: 'deletedFile', value: { path: d.path } })}\n`,
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        throw new ApiError(412, `Someone changed ${d.branch} since this page was loaded: reload it and try again.`, err.code, err.body);
      }
      throw err;
    }
    location.assign(d.after!);
    return 'Deleted.';
  });
}

const branch = document.querySelector<HTMLFormElement>('#branch-form');
if (branch) {
  branch.hidden = false;
  onSubmit(branch, async (f) => {
    const name = field(f, 'name').trim();
    const from = field(f, 'from').trim();
    await api(`${f.dataset.api}/branch/${pathSegments(name)}`, { json: from ? { startingPoint: from } : {} });
    // A '/' in a branch name is encoded in page URLs, where it would otherwise start the path.
    location.assign(`${f.dataset.base}/tree/${encodeURIComponent(name)}`);
    return `Created ${name}.`;
  });
  enable(branch);
}
