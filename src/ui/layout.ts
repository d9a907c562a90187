import type { Actor } from '../auth/actor.js';
import { html, type SafeHtml, trusted } from './html.js';

/** What every page knows about the request. */
export interface PageContext {
  actor: Actor;
  baseUrl: string;
  /** The CSRF token of a cookie session, for forms and scripts that write. */
  csrfToken: string | undefined;
  /** The current search text, kept in the header box. */
  search?: string;
}

/** Sets the theme before the first paint, so a dark-mode visitor never sees a white flash. */
export const THEME_BOOT = `try{var t=localStorage.getItem('orchard-theme');if(t)document.documentElement.dataset.theme=t}catch(e){}`;

export function layout(page: PageContext, title: string, body: SafeHtml, opts: { description?: string } = {}): string {
  const user = page.actor.kind === 'user' ? page.actor.user : undefined;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Orchard</title>
${opts.description ? html`<meta name="description" content="${opts.description}">` : ''}
<link rel="stylesheet" href="/static/orchard.css">
<link rel="stylesheet" href="/static/katex/katex.min.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<script>${trusted(THEME_BOOT)}</script>
<script type="module" src="/static/app.js"></script>
${page.csrfToken ? html`<meta name="csrf-token" content="${page.csrfToken}">` : ''}
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="top">
  <a class="logo" href="/"><img src="/static/favicon.svg" alt="" width="18" height="18" style="vertical-align:-3px"> Orchard</a>
  <form action="/models" method="get" role="search"><input type="search" name="search" placeholder="Search models, datasets, spaces…" aria-label="Search" value="${page.search ?? ''}"></form>
  <nav aria-label="Main">
    <a href="/models">Models</a><a href="/datasets">Datasets</a><a href="/spaces">Spaces</a><a href="/leaderboards">Leaderboards</a>
    ${user ? html`<a href="/new">New</a><a href="/${user.name}">${user.name}</a><a href="/settings/tokens">Settings</a><button type="button" class="linklike" data-signout hidden>Sign out</button>` : html`<a href="/login" data-signin>Sign in</a>`}
    <button type="button" class="theme-toggle" aria-label="Switch between light and dark theme" data-theme-toggle>◐</button>
  </nav>
</header>
<main id="content">
${body}
</main>
<footer>Orchard — a self-hosted hub for open models. <a href="/api/models">API</a></footer>
</body>
</html>`.value;
}

/** The same page for a missing repo and for one the visitor may not see. */
export function errorPage(page: PageContext, status: number, message: string): string {
  const title = status === 404 ? 'Not found' : status === 401 ? 'Sign in required' : status === 403 ? 'Forbidden' : 'Error';
  return layout(page, title, html`<section class="error-page"><h1>${String(status)}</h1><p>${message}</p>
  ${status === 401 ? html`<p><a class="button primary" href="/login">Sign in</a></p>` : html`<p><a href="/">Back to the home page</a></p>`}</section>`);
}
