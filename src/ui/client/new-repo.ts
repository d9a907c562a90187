/** `/new`: creates the repo through `POST /api/repos/create`, then opens it. */
import { api, ApiError, enable, field, onSubmit, pathSegments } from './api.js';

const form = document.querySelector<HTMLFormElement>('#new-repo-form');
if (form) {
  onSubmit(form, async (f) => {
    const type = field(f, 'type') || 'model';
    const owner = field(f, 'owner');
    const name = field(f, 'name').trim();
    try {
      await api('/api/repos/create', { json: { type, organization: owner, name, visibility: field(f, 'visibility') || 'public' } });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) throw new ApiError(409, `${owner}/${name} already exists.`, err.code, err.body);
      throw err;
    }
    location.assign(`/${type === 'model' ? '' : `${type}s/`}${pathSegments(`${owner}/${name}`)}`);
    return 'Created. Opening it…';
  });
  enable(form);
}
