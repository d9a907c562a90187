import { typePlural } from '../core/repo-id.js';
import type { RepoRow } from '../services/repos.js';
import { html, type SafeHtml } from './html.js';
import { repoBase } from './pages/repo.js';

/**
 * Pieces shared by the pages that write. Writes go through the JSON APIs
 * from the client scripts (cookie sessions must send `X-CSRF-Token`, which a
 * plain HTML form cannot), so each write form sits in a fieldset that is
 * disabled until its script has wired it up, and says why in a <noscript>.
 */

/** Loads `/static/{name}.js` (compiled from `src/ui/client/{name}.ts`) as an ES module. */
export function clientScript(name: string): SafeHtml {
  return html`<script type="module" src="/static/${name}.js"></script>`;
}

/** The explanation shown to visitors without JavaScript. */
export function needsJs(what: string): SafeHtml {
  return html`<noscript><p class="notice">${what} needs JavaScript: this page sends your changes to the hub's API from the browser.</p></noscript>`;
}

/** Where a form's script writes success and error messages; screen readers announce them. */
export function formStatus(id?: string): SafeHtml {
  return html`<p class="form-status" role="status" aria-live="polite" data-status ${id ? html`id="${id}"` : ''}></p>`;
}

/** The URLs a client script needs to talk about a repo, as data attributes. */
export function repoData(row: RepoRow): SafeHtml {
  const api = `/api/${typePlural(row.type)}/${encodeURIComponent(row.namespace)}/${encodeURIComponent(row.name)}`;
  return html`data-api="${api}" data-base="${repoBase(row)}" data-repo-type="${row.type}" data-repo-name="${row.name}" data-repo-namespace="${row.namespace}"`;
}

/**
 * Only a same-site path may follow a sign-in: `/x` but not `//evil.example`
 * or `/\evil.example`, which browsers read as another host.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  // It goes into a Location header: anything but printable ASCII is percent-encoded (a lone surrogate gives up).
  try {
    return next.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  } catch {
    return '/';
  }
}
