import { HubError } from '../../core/errors.js';
import type { Hub } from '../../services/hub.js';
import { tagsOf } from '../../services/listing.js';
import { readSmallFile } from '../../services/preupload.js';
import type { RepoRow } from '../../services/repos.js';
import { lookupPath } from '../../services/tree-index.js';
import { clientScript, formStatus, needsJs, repoData } from '../forms.js';
import { html, pathUrl } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { crumbs, repoBase, repoHeader } from './repo.js';

/** Text files up to this size can be edited in the browser. */
export const MAX_EDIT_BYTES = 1024 * 1024;

/** Is the file at `path` small text that the editor can open? */
export function editable(entry: { lfs?: unknown; size: number }): boolean {
  return !entry.lfs && entry.size <= MAX_EDIT_BYTES;
}

function cardTemplate(row: RepoRow): string {
  return `---\nlicense: apache-2.0\n---\n\n# ${row.name}\n\nDescribe this ${row.type}: what it is for, how it was made, and its limits.\n`;
}

/**
 * `/{repo}/edit/{branch}/{path}`: a text editor for a small file (a new one
 * when the path does not exist yet; the card gets a template). Saving commits
 * with `parentCommit` set to the commit shown here, so a change in between
 * is refused (412) instead of silently overwritten; the card is checked with
 * validate-yaml first.
 */
export async function editPage(hub: Hub, page: PageContext, row: RepoRow, branch: string, head: { commit: string; tree: string }, path: string): Promise<string> {
  const entry = await lookupPath(hub, row.id, head.tree, path);
  if (entry && entry.kind !== 'blob') throw new HubError('BadRequest', `${path} is a folder`);
  if (entry && !editable(entry)) throw new HubError('BadRequest', `${path} is too large or stored with LFS: it cannot be edited in the browser. Upload a new version instead.`);
  let content = '';
  if (entry) {
    const text = await readSmallFile(hub, row, head.tree, path);
    if (text === undefined || text.includes('\0')) throw new HubError('BadRequest', `${path} is a binary file: it cannot be edited in the browser`);
    content = text;
  } else if (path === 'README.md') content = cardTemplate(row);
  const base = repoBase(row);
  const isCard = path === 'README.md';
  const after = isCard ? base : `${base}/blob/${encodeURIComponent(branch)}/${pathUrl(path)}`;
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const body = html`${repoHeader(page.actor, row, isCard ? 'card' : 'files', tags)}
    ${crumbs(row, branch, path)}
    <form class="stack" id="edit-form" ${repoData(row)} data-branch="${branch}" data-path="${path}" data-parent="${head.commit}" data-after="${after}" data-card="${isCard ? 'true' : 'false'}">
      ${needsJs('Saving')}
      <fieldset data-needs-js disabled>
        <label for="edit-content">${entry ? html`Edit <code>${path}</code>` : html`New file <code>${path}</code>`}${isCard ? html` <span class="small muted">— the YAML at the top is the card's metadata</span>` : ''}</label>
        <textarea id="edit-content" name="content" class="mono" rows="24" spellcheck="false">
${content}</textarea>
        <div><label for="edit-summary">Commit message</label><input id="edit-summary" name="summary" type="text" maxlength="1000" value="${entry ? `Update ${path}` : `Create ${path}`}"></div>
        ${formStatus()}
        <ul class="form-errors" data-errors hidden></ul>
        <p class="row"><button class="primary" type="submit">Commit to ${branch}</button> <a class="button" href="${entry ? after : `${base}/tree/${encodeURIComponent(branch)}`}">Cancel</a></p>
      </fieldset>
    </form>
    <p class="small muted">Editing the branch <code>${branch}</code> at <code>${head.commit.slice(0, 7)}</code>.</p>
    ${clientScript('edit')}`;
  return layout(page, `Edit ${path} · ${row.namespace}/${row.name}`, body);
}
