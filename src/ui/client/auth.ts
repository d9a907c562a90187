/**
 * `/login` and `/join`: both APIs take JSON only (a cross-site HTML form
 * cannot sign a visitor in) and set the session cookie; then the page goes
 * back to where the visitor came from.
 */
import { api, ApiError, enable, field, onSubmit, safeNext } from './api.js';

const login = document.querySelector<HTMLFormElement>('#login-form');
if (login) {
  onSubmit(login, async (form) => {
    try {
      await api('/api/login', { json: { username: field(form, 'username').trim(), password: field(form, 'password') } });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        form.querySelector<HTMLInputElement>('#login-password')?.select();
        throw new ApiError(401, 'Wrong username or password.', err.code, err.body);
      }
      if (err instanceof ApiError && err.status === 429) throw new ApiError(429, `Too many attempts: ${err.message}`, err.code, err.body);
      throw err;
    }
    location.assign(safeNext(form.dataset.next));
    return 'Signed in. Redirecting…';
  });
  enable(login);
}

const join = document.querySelector<HTMLFormElement>('#join-form');
if (join) {
  onSubmit(join, async (form) => {
    const email = field(form, 'email').trim();
    const invite = field(form, 'invite').trim();
    await api('/api/signup', {
      json: { username: field(form, 'username').trim(), password: field(form, 'password'), ...(email ? { email } : {}), ...(invite ? { invite } : {}) },
    });
    location.assign(safeNext(form.dataset.next));
    return 'Account created. Redirecting…';
  });
  enable(join);
}
