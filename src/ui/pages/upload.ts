import type { Hub } from '../../services/hub.js';
import { tagsOf } from '../../services/listing.js';
import type { RepoRow } from '../../services/repos.js';
import { clientScript, formStatus, needsJs, repoData } from '../forms.js';
import { formatBytes, html } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { repoBase, repoHeader } from './repo.js';

/**
 * `/{repo}/upload/{branch}`: files and folders by drag and drop or picker,
 * sent as the clients send them (preupload, LFS batch and signed PUTs for
 * large or binary files, then one NDJSON commit), with a progress bar over
 * the bytes and a Cancel that aborts before anything is committed.
 */
export async function uploadPage(hub: Hub, page: PageContext, row: RepoRow, branch: string): Promise<string> {
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const filesUrl = `${repoBase(row)}/tree/${encodeURIComponent(branch)}`;
  const body = html`${repoHeader(page.actor, row, 'upload', tags)}
  <h2>Upload files to <code>${branch}</code></h2>
  <form class="stack upload" id="upload-form" ${repoData(row)} data-branch="${branch}" data-files-url="${filesUrl}">
    ${needsJs('Uploading')}
    <fieldset data-needs-js disabled>
      <div class="dropzone" data-dropzone>
        <p><strong>Drag files or folders here</strong>, or choose them:</p>
        <div class="row center">
          <div><label for="upload-files">Files</label><input id="upload-files" type="file" multiple></div>
          <div><label for="upload-folder">A folder</label><input id="upload-folder" type="file" webkitdirectory multiple></div>
        </div>
        <p class="small muted">Files of ${formatBytes(hub.limits.lfsThresholdBytes)} or more, and binary files, are stored with Git LFS.</p>
      </div>
      <div><label for="upload-dir">Into the folder <span class="muted">(optional)</span></label><input id="upload-dir" name="dir" type="text" placeholder="e.g. checkpoints/" autocapitalize="none" spellcheck="false"></div>
      <div class="scroll-x" data-file-list hidden><table class="files"><caption class="small muted" style="text-align:left">Files to commit</caption><tbody></tbody></table>
        <p class="small"><span data-file-total></span> <button type="button" class="small-button" data-clear>Clear the list</button></p></div>
      <div><label for="upload-summary">Commit message</label><input id="upload-summary" name="summary" type="text" maxlength="1000" placeholder="Upload files"></div>
      <div><label for="upload-description">Extended description <span class="muted">(optional)</span></label><textarea id="upload-description" name="description" rows="2"></textarea></div>
      <div class="progress-box" data-progress hidden>
        <label for="upload-progress">Upload progress</label>
        <progress id="upload-progress" max="1" value="0"></progress>
        <p class="small" data-progress-text aria-live="off"></p>
      </div>
      ${formStatus()}
      <p class="row"><button class="primary" type="submit" data-upload>Commit to ${branch}</button> <button type="button" data-cancel disabled>Cancel</button></p>
    </fieldset>
  </form>
  <div class="notice ok-notice" data-done hidden tabindex="-1"></div>
  ${clientScript('upload')}`;
  return layout(page, `Upload · ${row.namespace}/${row.name}`, body);
}
