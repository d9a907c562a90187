import type { Actor } from '../../auth/actor.js';
import { can } from '../../auth/policy.js';
import { accessInfo, type RepoRow } from '../../services/repos.js';
import { clientScript, formStatus, repoData } from '../forms.js';
import { html, pathUrl, type SafeHtml } from '../html.js';
import { editable } from './edit.js';
import { repoBase } from './repo.js';

/** The branch a revision names, if it names one (`refs/heads/x` → `x`). */
function branchOf(ref: string | undefined): string | undefined {
  return ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}

/** The branch to write to from a file page shown at `rev`, if the actor may write and `rev` is a branch. */
function writableBranch(actor: Actor, row: RepoRow, rev: { ref: string | undefined }): string | undefined {
  const branch = branchOf(rev.ref);
  return branch && can(actor, 'write', accessInfo(row)) ? branch : undefined;
}

/** Edit and Delete buttons for writers on a file page shown at a branch. */
export function blobActions(actor: Actor, row: RepoRow, rev: { ref: string | undefined }, entry: { path: string; lfs?: unknown; size: number }): SafeHtml {
  const branch = writableBranch(actor, row, rev);
  if (!branch) return html``;
  return html`${editable(entry) ? html` <a class="button" href="${repoBase(row)}/edit/${encodeURIComponent(branch)}/${pathUrl(entry.path)}">Edit</a>` : ''}
    <button type="button" class="danger" data-delete-open aria-expanded="false" aria-controls="delete-file-form" hidden>Delete</button>`;
}

/**
 * The confirmation that Delete opens (in the page: no `confirm()` dialog),
 * making a `deletedFile` commit on the branch.
 */
export function deleteFileForm(actor: Actor, row: RepoRow, rev: { ref: string | undefined; commit: string }, entry: { path: string }): SafeHtml {
  const branch = writableBranch(actor, row, rev);
  if (!branch) return html``;
  const dir = entry.path.includes('/') ? entry.path.slice(0, entry.path.lastIndexOf('/')) : '';
  return html`<form id="delete-file-form" class="confirm-box stack" ${repoData(row)} data-branch="${branch}" data-path="${entry.path}" data-parent="${rev.commit}"
      data-after="${repoBase(row)}/tree/${encodeURIComponent(branch)}${dir ? `/${pathUrl(dir)}` : ''}" hidden>
      <p>Delete <code>${entry.path}</code> from <code>${branch}</code>? This makes a commit; the file stays in the history.</p>
      <div><label for="delete-summary">Commit message</label><input id="delete-summary" name="summary" type="text" maxlength="1000" value="Delete ${entry.path}"></div>
      ${formStatus()}
      <p class="row"><button type="submit" class="danger">Delete the file</button> <button type="button" data-delete-cancel>Keep it</button></p>
    </form>${clientScript('file-actions')}`;
}

/** "New branch" on the files page, for writers: a name and the revision to start from. */
export function branchForm(actor: Actor, row: RepoRow, revName: string): SafeHtml {
  if (!can(actor, 'write', accessInfo(row))) return html``;
  return html`<details class="inline-form" data-branch-details><summary>New branch</summary>
    <form class="stack" id="branch-form" ${repoData(row)} hidden>
      <div class="row">
        <div class="grow"><label for="branch-name">Branch name</label><input id="branch-name" name="name" type="text" required maxlength="200" autocapitalize="none" spellcheck="false"></div>
        <div class="grow"><label for="branch-from">From</label><input id="branch-from" name="from" type="text" required value="${revName}" autocapitalize="none" spellcheck="false" aria-describedby="branch-from-help"></div>
      </div>
      <p class="small muted" id="branch-from-help">A branch, a tag or a commit id.</p>
      ${formStatus()}
      <button type="submit" class="primary">Create branch</button>
    </form>
    <noscript><p class="small">Creating a branch needs JavaScript.</p></noscript>
  </details>${clientScript('file-actions')}`;
}

/** "Edit the card" (or "Create a card") on the card page, for writers. */
export function cardEditLink(actor: Actor, row: RepoRow, exists: boolean): SafeHtml {
  if (!can(actor, 'write', accessInfo(row))) return html``;
  const what = row.type === 'dataset' ? 'dataset card' : row.type === 'space' ? 'README' : 'model card';
  return html`<p class="card-actions"><a class="button" href="${repoBase(row)}/edit/${encodeURIComponent(row.default_branch)}/README.md">${exists ? `Edit ${what}` : `Create the ${what}`}</a></p>`;
}
