/**
 * The feedback page: sending feedback (`POST …/feedback`), triage by writers
 * (`POST …/feedback/{id}/triage`, `DELETE …/feedback/{id}`) and the export
 * (`POST …/feedback/export`), all through the JSON API with the session's
 * CSRF token.
 */
import { api, enable, field, messageOf, onSubmit, showStatus } from './api.js';

interface ExportAnswer {
  dataset: string;
  created: boolean;
  exported: number;
  rows: { sft: number; preference: number };
  shard: number | null;
  commit: string | null;
}

/** An export still queued or running when the request stopped waiting (202): polled at `url`. */
interface ExportJobAnswer {
  status: 'queued' | 'running' | 'done' | 'failed';
  url: string;
  result?: ExportAnswer;
  error?: string;
}

/** The export's result: at once, or after polling the export job until it ends. */
async function exportResult(first: ExportAnswer | ExportJobAnswer, progress: (text: string) => void): Promise<ExportAnswer> {
  if ('exported' in first) return first;
  let job = first;
  while (job.status === 'queued' || job.status === 'running') {
    progress(job.status === 'queued' ? 'Export queued…' : 'Exporting…');
    await new Promise((r) => setTimeout(r, 1000));
    job = await api<ExportJobAnswer>(job.url);
  }
  if (job.status === 'failed' || !job.result) throw new Error(job.error ?? 'The export failed');
  return job.result;
}

const root = document.querySelector<HTMLElement>('#feedback');
if (root) {
  const apiBase = `${root.dataset.api}/feedback`;
  const checked = (f: HTMLFormElement, name: string): string[] =>
    [...f.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)].map((i) => i.value);

  const submitForm = root.querySelector<HTMLFormElement>('#feedback-form');
  if (submitForm) {
    onSubmit(submitForm, async (f) => {
      const rating = field(f, 'rating');
      const correction = field(f, 'correction').trim();
      const note = field(f, 'note').trim();
      const revision = field(f, 'modelRevision').trim();
      const categories = checked(f, 'categories');
      const consent = f.querySelector<HTMLInputElement>('#fb-consent')!.checked;
      await api(apiBase, {
        json: {
          prompt: field(f, 'prompt'),
          response: field(f, 'response'),
          rating: /^[1-5]$/.test(rating) ? Number(rating) : rating,
          ...(categories.length ? { categories } : {}),
          ...(correction ? { correction } : {}),
          ...(note ? { note } : {}),
          ...(revision ? { modelRevision: revision } : {}),
          consent: { publish: consent },
        },
      });
      f.reset();
      // The list below shows the new item with its status.
      location.reload();
      return 'Thank you: your feedback was sent.';
    });
  }

  const exportForm = root.querySelector<HTMLFormElement>('#export-form');
  if (exportForm) {
    onSubmit(exportForm, async (f) => {
      const first = await api<ExportAnswer | ExportJobAnswer>(`${apiBase}/export`, { json: { dataset: field(f, 'dataset').trim(), formats: checked(f, 'formats') } });
      const res = await exportResult(first, (text) => showStatus(f.querySelector('[data-status]'), text, 'info'));
      if (res.exported === 0) return `Nothing new to export to ${res.dataset}${res.created ? ' (created it)' : ''}.`;
      return `Exported ${res.exported} feedback item(s) to ${res.dataset}: ${res.rows.sft} SFT row(s), ${res.rows.preference} preference pair(s), in part ${res.shard} (commit ${res.commit?.slice(0, 7)}).`;
    });
  }

  const list = root.querySelector<HTMLElement>('#feedback-list');
  if (list) {
    const status = list.querySelector('#feedback-list-status');
    list.addEventListener('click', async (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('button[data-triage], button[data-save-labels], button[data-delete]');
      if (!button) return;
      const li = button.closest<HTMLElement>('[data-feedback]')!;
      const id = li.dataset.feedback!;
      button.disabled = true;
      try {
        if (button.dataset.delete !== undefined) {
          if (!confirm('Delete this feedback?')) return;
          await api(`${apiBase}/${encodeURIComponent(id)}`, { method: 'DELETE' });
        } else {
          const labelsInput = li.querySelector<HTMLInputElement>('input[name=labels]');
          const labels = (labelsInput?.value ?? '').split(',').map((l) => l.trim()).filter(Boolean);
          const body = button.dataset.triage ? { status: button.dataset.triage, labels } : { labels };
          await api(`${apiBase}/${encodeURIComponent(id)}/triage`, { json: body });
        }
        showStatus(status, 'Saved. Updating the list…', 'ok');
        location.reload();
      } catch (err) {
        showStatus(status, messageOf(err), 'error');
      } finally {
        button.disabled = false;
      }
    });
  }
  enable(root);
}
