import type { SignupMode } from '../../auth/signup.js';
import { clientScript, formStatus, needsJs } from '../forms.js';
import { html } from '../html.js';
import { layout, type PageContext } from '../layout.js';

const withNext = (path: string, next: string): string => (next === '/' ? path : `${path}?next=${encodeURIComponent(next)}`);

/** `/login`: posts to `/api/login`, then goes back to `next`. */
export function loginPage(page: PageContext, next: string, signup: SignupMode): string {
  const body = html`<section class="narrow">
    <h1>Sign in</h1>
    <form class="stack" id="login-form" data-next="${next}">
      ${needsJs('Signing in')}
      <fieldset data-needs-js disabled>
        <div><label for="login-username">Username</label><input id="login-username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus></div>
        <div><label for="login-password">Password</label><input id="login-password" name="password" type="password" autocomplete="current-password" required></div>
        ${formStatus()}
        <button class="primary" type="submit">Sign in</button>
      </fieldset>
    </form>
    <p class="small muted">${signup === 'closed'
      ? 'Accounts are created by the hub’s admins.'
      : html`No account yet? <a href="${withNext('/join', next)}">Sign up</a>${signup === 'invite' ? ' with an invite code' : ''}.`}</p>
  </section>${clientScript('auth')}`;
  return layout(page, 'Sign in', body);
}

/** `/join`: sign-up as the hub's `signup` setting allows (closed, invite, open). */
export function joinPage(page: PageContext, next: string, mode: SignupMode, invite: string): string {
  if (mode === 'closed') {
    return layout(page, 'Sign up', html`<section class="narrow"><h1>Sign up</h1>
      <p class="empty">Sign-up is closed on this hub. Ask an admin for an account, then <a href="${withNext('/login', next)}">sign in</a>.</p></section>`);
  }
  const body = html`<section class="narrow">
    <h1>Create an account</h1>
    <form class="stack" id="join-form" data-next="${next}">
      ${needsJs('Signing up')}
      <fieldset data-needs-js disabled>
        ${mode === 'invite' ? html`<div><label for="join-invite">Invite code</label><input id="join-invite" name="invite" type="text" required value="${invite}" autocomplete="off" spellcheck="false"></div>` : ''}
        <div><label for="join-username">Username</label><input id="join-username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required aria-describedby="join-username-help">
          <p class="small muted" id="join-username-help">Letters, digits, '-', '_' and '.'; it names your repos: <code>username/repo</code>.</p></div>
        <div><label for="join-email">Email <span class="muted">(optional)</span></label><input id="join-email" name="email" type="email" autocomplete="email"></div>
        <div><label for="join-password">Password</label><input id="join-password" name="password" type="password" autocomplete="new-password" minlength="8" required aria-describedby="join-password-help">
          <p class="small muted" id="join-password-help">At least 8 characters.</p></div>
        ${formStatus()}
        <button class="primary" type="submit">Create account</button>
      </fieldset>
    </form>
    <p class="small muted">Already have an account? <a href="${withNext('/login', next)}">Sign in</a>.</p>
  </section>${clientScript('auth')}`;
  return layout(page, 'Sign up', body);
}
