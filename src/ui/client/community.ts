/**
 * The Community tab's writes, all through the JSON API (`/api/{T}/{repo}/discussions/…`)
 * with the session's CSRF token: start a discussion, comment, rename, close
 * or reopen (or publish a draft), merge a pull request, edit and hide comments.
 * After a write the page reloads, so that what it shows is what the hub stored.
 */
import { api, enable, field, messageOf, onSubmit, showStatus } from './api.js';

interface Created {
  num: number;
}

const root = document.querySelector<HTMLElement>('#community');
if (root) {
  const d = root.dataset;
  const discussions = `${d.api}/discussions`;
  const num = d.num;
  const actionsStatus = root.querySelector('#actions-status');

  const created = root.querySelector<HTMLFormElement>('#new-discussion-form');
  if (created) {
    onSubmit(created, async (f) => {
      const title = field(f, 'title').trim();
      if (!title) throw new Error('A title is required.');
      const res = await api<Created>(discussions, { json: { title, description: field(f, 'description') } });
      location.assign(`${d.base}/discussions/${res.num}`);
      return 'Created.';
    });
  }

  if (num) {
    const thread = `${discussions}/${num}`;

    const comment = root.querySelector<HTMLFormElement>('#comment-form');
    if (comment) {
      onSubmit(comment, async (f) => {
        const text = field(f, 'comment');
        if (!text.trim()) throw new Error('Write something first.');
        await api(`${thread}/comment`, { json: { comment: text } });
        location.reload();
        return 'Posted.';
      });
    }

    const title = root.querySelector<HTMLFormElement>('#title-form');
    if (title) {
      onSubmit(title, async (f) => {
        await api(`${thread}/title`, { json: { title: field(f, 'title').trim() } });
        location.reload();
        return 'Saved.';
      });
    }

    for (const form of root.querySelectorAll<HTMLFormElement>('form[data-edit-form]')) {
      onSubmit(form, async (f) => {
        await api(`${thread}/comment/${encodeURIComponent(f.dataset.editForm!)}/edit`, { json: { content: field(f, 'content') } });
        location.reload();
        return 'Saved.';
      });
    }

    // Buttons: status changes, merge, hiding a comment. One at a time; errors show above the thread.
    root.addEventListener('click', async (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('button[data-set-status], button[data-merge], button[data-hide]');
      if (!button || button.disabled) return;
      button.disabled = true;
      showStatus(actionsStatus, 'Working…');
      try {
        if (button.dataset.setStatus) await api(`${thread}/status`, { json: { status: button.dataset.setStatus } });
        else if (button.dataset.hide) await api(`${thread}/comment/${encodeURIComponent(button.dataset.hide)}/hide`, { method: 'POST' });
        else await api(`${thread}/merge`, { json: {} });
        showStatus(actionsStatus, 'Done. Reloading…', 'ok');
        location.reload();
      } catch (err) {
        showStatus(actionsStatus, messageOf(err), 'error');
        button.disabled = false;
      }
    });
  }
  enable(root);
}
