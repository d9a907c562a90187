/**
 * The "New leaderboard" form: `POST /api/leaderboards` (with the session's
 * CSRF token, through api.ts), then opens the new leaderboard.
 */
import { api, enable, field, onSubmit } from './api.js';

const lines = (s: string): string[] => s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);

const form = document.querySelector<HTMLFormElement>('#new-leaderboard-form');
if (form) {
  onSubmit(form, async (f) => {
    const checked = (name: string): boolean => f.querySelector<HTMLInputElement>(`input[name=${name}]`)!.checked;
    const description = field(f, 'description').trim();
    const family = field(f, 'family').trim();
    const benchmarks = field(f, 'benchmarks').split('\n').map((x) => x.trim()).filter(Boolean).map((l) => {
      const [id, weight] = l.split(/\s+/);
      return weight === undefined ? id! : { id: id!, weight: Number(weight) };
    });
    const lb = await api<{ namespace: string; slug: string }>('/api/leaderboards', {
      json: {
        namespace: field(f, 'namespace'),
        slug: field(f, 'slug').trim(),
        title: field(f, 'title').trim(),
        ...(description ? { description } : {}),
        private: checked('private'),
        benchmarks,
        models: { ids: lines(field(f, 'models')), allWithResults: checked('all'), ...(family ? { family } : {}) },
        objectives: lines(field(f, 'objectives')),
        results: field(f, 'results'),
      },
    });
    location.assign(`/leaderboards/${encodeURIComponent(lb.namespace)}/${encodeURIComponent(lb.slug)}`);
    return 'Created. Opening it…';
  });
  enable(form);
}
