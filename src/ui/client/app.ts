/**
 * The little JavaScript the pages use: pages work without it (server
 * rendered); it adds the theme switch and copy buttons, and loads the
 * upload page's script where there is an upload form.
 */
function setupTheme(): void {
  const button = document.querySelector<HTMLButtonElement>('[data-theme-toggle]');
  button?.addEventListener('click', () => {
    const root = document.documentElement;
    const dark = root.dataset.theme ? root.dataset.theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
    root.dataset.theme = dark ? 'light' : 'dark';
    try {
      localStorage.setItem('orchard-theme', root.dataset.theme);
    } catch {
      // private mode: the choice lasts for this page only
    }
  });
}

function setupCopyButtons(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-copy]')) {
    button.hidden = false;
    button.addEventListener('click', async () => {
      const target = document.getElementById(button.dataset.copy ?? '');
      if (!target) return;
      await navigator.clipboard.writeText(target.textContent ?? '');
      const before = button.textContent;
      button.textContent = 'Copied';
      setTimeout(() => (button.textContent = before), 1500);
    });
  }
}

/** Sign-out is a write (POST with the CSRF token), so it is a button that only works with JS. */
function setupSession(): void {
  const signOut = document.querySelector<HTMLButtonElement>('[data-signout]');
  if (signOut) {
    signOut.hidden = false;
    signOut.addEventListener('click', async () => {
      signOut.disabled = true;
      // Error pages carry no token in the page: ask the session for it.
      const csrf =
        document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ??
        (await fetch('/api/session', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : {})).catch(() => ({})) as { csrfToken?: string }).csrfToken ??
        '';
      await fetch('/api/logout', { method: 'POST', headers: { 'X-CSRF-Token': csrf }, credentials: 'same-origin' }).catch(() => undefined);
      location.assign('/');
    });
  }
  // Come back here after signing in.
  const signIn = document.querySelector<HTMLAnchorElement>('a[data-signin]');
  if (signIn && location.pathname !== '/login' && location.pathname !== '/join') {
    signIn.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
  }
}

setupTheme();
setupCopyButtons();
setupSession();
