import type { LfsPointer } from '../../repo/lfs-pointer.js';
import { DIFF_LIMITS, type FileChange } from '../../services/commit-diff.js';
import { formatBytes, html, pathUrl, type SafeHtml } from '../html.js';

/** Where a changed file's links point: the repo base, the commit and its first parent. */
export interface DiffLinks {
  base: string;
  commit: string;
  parent: string | undefined;
}

const lfsSide = (p: LfsPointer | undefined, present: boolean): SafeHtml =>
  p ? html`<code>sha256:${p.oid}</code> (${formatBytes(p.size)})` : html`${present ? 'a regular file' : 'nothing'}`;

/** The part under a file's header: hunks, or a one-line note for what has no text diff. */
function body(f: FileChange, links: DiffLinks): SafeHtml {
  if (f.kind === 'lfs') {
    const { old, new: neu } = f.lfs!;
    if (f.status === 'added') return html`<p class="diff-note">LFS object added: ${lfsSide(neu, true)}</p>`;
    if (f.status === 'deleted') return html`<p class="diff-note">LFS object deleted: ${lfsSide(old, true)}</p>`;
    if (old && neu && old.oid === neu.oid) return html`<p class="diff-note">LFS object unchanged: ${lfsSide(neu, true)}</p>`;
    return html`<p class="diff-note">LFS object changed: ${lfsSide(old, true)} → ${lfsSide(neu, true)}</p>`;
  }
  if (f.kind === 'binary') return html`<p class="diff-note">Binary file ${f.status === 'added' ? 'added' : f.status === 'deleted' ? 'deleted' : 'changed'}.</p>`;
  if (f.kind === 'submodule') return html`<p class="diff-note">Submodule ${f.status}.</p>`;
  if (f.kind === 'omitted') return html`<p class="diff-note">Diff not shown: this commit's diff is larger than a page shows.</p>`;
  if (f.lines.length === 0) {
    if (f.oldMode !== f.newMode && f.status === 'modified') return html`<p class="diff-note">File mode changed from ${f.oldMode} to ${f.newMode}.</p>`;
    if (f.status === 'renamed' || f.status === 'copied') return html`<p class="diff-note">File ${f.status} without changes.</p>`;
    return html`<p class="diff-note">Empty file ${f.status}.</p>`;
  }
  const rows = f.lines.map((l) =>
    l.kind === 'hunk'
      ? html`<tr class="hunk"><td class="ln"></td><td class="ln"></td><td>${l.text}</td></tr>`
      : html`<tr class="${l.kind}"><td class="ln">${l.oldLine}</td><td class="ln">${l.newLine}</td><td>${l.text}</td></tr>`,
  );
  const at = f.status === 'deleted' ? links.parent : links.commit;
  return html`<div class="diff"><table><tbody>${rows}</tbody></table></div>
    ${f.truncated ? html`<p class="diff-note">Diff truncated (at most ${DIFF_LIMITS.maxLinesPerFile.toLocaleString('en')} lines a file). ${at ? html`<a href="${links.base}/blob/${at}/${pathUrl(f.path)}">View the file</a>.` : ''}</p>` : ''}`;
}

/** One changed file: its status, path (and former path), counts, and diff. */
export function fileDiff(f: FileChange, index: number, links: DiffLinks, showContent: boolean): SafeHtml {
  const at = f.status === 'deleted' ? links.parent : links.commit;
  const name = at ? html`<a href="${links.base}/blob/${at}/${pathUrl(f.path)}">${f.path}</a>` : html`${f.path}`;
  const from = f.oldPath ? html` <span class="small muted">from ${f.oldPath}${f.similarity !== undefined && f.similarity < 100 ? ` (${f.similarity}% similar)` : ''}</span>` : '';
  const counts = f.kind === 'text' && (f.additions || f.deletions) ? html`<span class="small"><span class="plus">+${f.additions}</span> <span class="minus">−${f.deletions}</span></span>` : '';
  return html`<section class="diff-file" id="diff-${index}">
    <div class="diff-head"><span><span class="pill status-${f.status.replace(' ', '-')}">${f.status}</span> ${name}${from}${f.kind === 'lfs' ? html`<span class="lfs">LFS</span>` : ''}</span>${counts}</div>
    ${showContent ? body(f, links) : html`<p class="diff-note">Diffs of a gated repo are shown once you have access.</p>`}
  </section>`;
}
