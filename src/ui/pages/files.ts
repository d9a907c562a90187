import { Readable } from 'node:stream';
import { bypassesGate } from '../../auth/policy.js';
import { spawnGit } from '../../repo/git.js';
import { gitRepoFor, type Hub } from '../../services/hub.js';
import { tagsOf } from '../../services/listing.js';
import { accessInfo, type RepoRow } from '../../services/repos.js';
import type { ResolvedRevision } from '../../services/revisions.js';
import { type IndexedEntry, listTree } from '../../services/tree-index.js';
import { highlightLines, languageFor } from '../highlight.js';
import { formatBytes, html, pathUrl, type SafeHtml, trusted } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { crumbs, refSwitcher, repoBase, repoHeader } from './repo.js';
import { blobActions, branchForm, deleteFileForm } from './file-actions.js';

/** Files larger than this are not shown inline (a download button instead). */
export const MAX_VIEW_BYTES = 1024 * 1024;

/** `/{repo}/tree/{rev}/{path}`: a folder's entries with sizes and LFS markers. */
export async function treePage(hub: Hub, page: PageContext, row: RepoRow, revName: string, rev: ResolvedRevision, dir: IndexedEntry): Promise<string> {
  const base = repoBase(row);
  const entries = await listTree(hub, row.id, dir.oid, dir.path);
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const revUrl = encodeURIComponent(revName);
  const rows = entries.map((e) =>
    e.kind === 'tree'
      ? html`<tr><td class="name">📁 <a href="${base}/tree/${revUrl}/${pathUrl(e.path)}">${e.path.slice(dir.path ? dir.path.length + 1 : 0)}</a></td><td class="size"></td><td class="size"></td></tr>`
      : html`<tr><td class="name">📄 <a href="${base}/blob/${revUrl}/${pathUrl(e.path)}">${e.path.slice(dir.path ? dir.path.length + 1 : 0)}</a>${e.lfs ? html`<span class="lfs" title="Stored with Git LFS">LFS</span>` : ''}</td>
          <td class="size">${formatBytes(e.size)}</td><td class="size"><a href="${base}/resolve/${revUrl}/${pathUrl(e.path)}?download=true" aria-label="Download ${e.path}">↓</a></td></tr>`,
  );
  const switcher = await refSwitcher(hub, row, revName, (r) => `${base}/tree/${encodeURIComponent(r)}${dir.path ? `/${pathUrl(dir.path)}` : ''}`);
  const body = html`${repoHeader(page.actor, row, 'files', tags)}
    <p>${switcher} <span class="small muted">at <a href="${base}/commit/${rev.commit}"><code>${rev.commit.slice(0, 7)}</code></a></span></p>
    ${branchForm(page.actor, row, revName)}
    ${crumbs(row, revName, dir.path)}
    ${entries.length ? html`<table class="files"><caption class="skip">Files</caption>${rows}</table>` : html`<p class="empty">This folder is empty.</p>`}`;
  return layout(page, `${row.namespace}/${row.name} · ${dir.path || 'files'}`, body);
}

async function readBlob(hub: Hub, row: RepoRow, oid: string, limit: number): Promise<Buffer> {
  const child = spawnGit(gitRepoFor(hub, row.id).gitDir, ['cat-file', 'blob', oid]);
  child.stdin!.end();
  child.stderr!.resume();
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of child.stdout! as Readable) {
    chunks.push(chunk as Buffer);
    n += (chunk as Buffer).length;
    if (n >= limit) {
      child.kill();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

function looksBinary(b: Buffer): boolean {
  return b.subarray(0, 8000).includes(0);
}

/** A preview for data files (CSV, JSONL, Parquet) that a sibling module may provide. */
export type DataPreview = (hub: Hub, row: RepoRow, entry: IndexedEntry) => Promise<SafeHtml | undefined>;

/** `/{repo}/blob/{rev}/{path}`: a highlighted text view with line links, or a download card. */
export async function blobPage(hub: Hub, page: PageContext, row: RepoRow, revName: string, rev: ResolvedRevision, entry: IndexedEntry, preview?: DataPreview): Promise<string> {
  const base = repoBase(row);
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const revUrl = encodeURIComponent(revName);
  const download = `${base}/resolve/${revUrl}/${pathUrl(entry.path)}?download=true`;
  const raw = `${base}/raw/${revUrl}/${pathUrl(entry.path)}`;
  const gated = row.gated !== null && !bypassesGate(page.actor, accessInfo(row)) && !(await approved(hub, page, row));
  let content: SafeHtml;
  if (gated) {
    content = html`<div class="notice">This file is in a gated ${row.type}. <a href="${base}/access">Request access</a> to view and download it.</div>`;
  } else {
    const dataView = preview ? await preview(hub, row, entry) : undefined;
    if (dataView) content = dataView;
    else if (entry.lfs || entry.size > MAX_VIEW_BYTES) {
      content = html`<p class="empty">${entry.lfs ? 'This file is stored with Git LFS' : 'This file is too large to display'} (${formatBytes(entry.size)}). <a href="${download}">Download it</a>.</p>`;
    } else {
      const bytes = await readBlob(hub, row, entry.oid, MAX_VIEW_BYTES);
      if (looksBinary(bytes)) content = html`<p class="empty">Binary file (${formatBytes(entry.size)}). <a href="${download}">Download it</a>.</p>`;
      else {
        const lines = highlightLines(bytes.toString('utf8'), languageFor(entry.path));
        content = html`<div class="scroll"><table class="code"><tbody>${lines.map((l, i) => html`<tr id="L${String(i + 1)}"><td class="ln"><a href="#L${String(i + 1)}">${String(i + 1)}</a></td><td class="src">${trusted(l)}</td></tr>`)}</tbody></table></div>`;
      }
    }
  }
  const body = html`${repoHeader(page.actor, row, 'files', tags)}
    ${crumbs(row, revName, entry.path)}
    <div class="blob">
      <div class="bar"><span class="small">${formatBytes(entry.size)}${entry.lfs ? html` · <span class="lfs">LFS</span> <code class="small">${entry.lfs.oid.slice(0, 12)}</code>` : ''} · <a href="${base}/commit/${rev.commit}"><code>${rev.commit.slice(0, 7)}</code></a></span>
        <span><a class="button" href="${raw}">Raw</a> <a class="button primary" href="${download}">Download</a>${blobActions(page.actor, row, rev, entry)}</span></div>
      ${deleteFileForm(page.actor, row, rev, entry)}
      ${content}
    </div>`;
  return layout(page, `${entry.path} · ${row.namespace}/${row.name}`, body);
}

async function approved(hub: Hub, page: PageContext, row: RepoRow): Promise<boolean> {
  if (page.actor.kind !== 'user') return false;
  const r = await hub.db.selectFrom('gated_requests').select('status').where('repo_id', '=', row.id).where('user_id', '=', page.actor.user.id).executeTakeFirst();
  return r?.status === 'accepted';
}
