import type { Actor } from '../../auth/actor.js';
import { isHubError } from '../../core/errors.js';
import { commitDetail } from '../../services/commit-diff.js';
import { type CommitSummary, listCommits } from '../../services/history.js';
import type { Hub } from '../../services/hub.js';
import { tagsOf } from '../../services/listing.js';
import { getRepo, type RepoRow } from '../../services/repos.js';
import type { ResolvedRevision } from '../../services/revisions.js';
import { html, type SafeHtml, timeAgo } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { fileDiff } from './diff.js';
import { refSwitcher, repoBase, repoHeader } from './repo.js';

export const COMMITS_PER_PAGE = 50;

const when = (iso: string): SafeHtml => html`<time datetime="${iso}" title="${iso}">${timeAgo(iso)}</time>`;
const shortId = (oid: string): string => oid.slice(0, 7);

/** `?p=` as a zero-based page index (the Hub's convention); anything else is the first page. */
export function pageIndex(raw: string | null): number {
  return raw !== null && /^\d{1,6}$/.test(raw) ? Number(raw) : 0;
}

function commitItem(base: string, c: CommitSummary): SafeHtml {
  return html`<li><div><a href="${base}/commit/${c.id}"><strong>${c.title || '(no message)'}</strong></a></div>
    <div class="small muted">${c.authorName} committed ${when(c.date)} · <a href="${base}/commit/${c.id}"><code>${shortId(c.id)}</code></a> · <a href="${base}/tree/${c.id}">Browse files</a></div></li>`;
}

/** `/{repo}/commits/{rev}?p=N`: the history reachable from a revision, newest first. */
export async function commitsPage(hub: Hub, page: PageContext, row: RepoRow, revName: string, rev: ResolvedRevision, p: number): Promise<string> {
  const base = repoBase(row);
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const { commits, total } = await listCommits(hub, row, rev.commit, p * COMMITS_PER_PAGE, COMMITS_PER_PAGE);
  const pages = Math.max(1, Math.ceil(total / COMMITS_PER_PAGE));
  const here = `${base}/commits/${encodeURIComponent(revName)}`;
  const switcher = await refSwitcher(hub, row, revName, (r) => `${base}/commits/${encodeURIComponent(r)}`);
  const body = html`${repoHeader(page.actor, row, 'commits', tags)}
    <p>${switcher} <span class="small muted">${total.toLocaleString('en')} commit${total === 1 ? '' : 's'} · <a href="${base}/refs">Branches and tags</a></span></p>
    ${commits.length
      ? html`<ol class="commits">${commits.map((c) => commitItem(base, c))}</ol>`
      : html`<p class="empty">No commits on this page. <a href="${here}">Back to the newest</a>.</p>`}
    <nav class="pager" aria-label="Pages">
      ${p > 0 ? html`<a class="button" rel="prev" href="${here}${p > 1 ? `?p=${p - 1}` : ''}">← Newer</a>` : ''}
      <span class="small muted">Page ${Math.min(p + 1, pages)} of ${pages}</span>
      ${(p + 1) * COMMITS_PER_PAGE < total ? html`<a class="button" rel="next" href="${here}?p=${p + 1}">Older →</a>` : ''}
    </nav>`;
  return layout(page, `Commits · ${row.namespace}/${row.name}`, body);
}

/** A gated repo's file contents (and so its diffs) need the same access as its downloads. */
async function mayReadContent(hub: Hub, actor: Actor, row: RepoRow): Promise<boolean> {
  if (!row.gated) return true;
  try {
    await getRepo(hub, actor, { type: row.type, namespace: row.namespace, name: row.name }, 'content');
    return true;
  } catch (err) {
    if (isHubError(err) && err.code === 'GatedRepo') return false;
    throw err;
  }
}

/** `/{repo}/commit/{sha}`: one commit's message, author, parents and per-file diff. */
export async function commitPage(hub: Hub, page: PageContext, row: RepoRow, rev: string): Promise<string> {
  const base = repoBase(row);
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const detail = await commitDetail(hub, row, rev);
  const { commit: c, files } = detail;
  const showContent = await mayReadContent(hub, page.actor, row);
  // The index keeps the title apart; `message` is the body after it.
  const rest = c.message.trim();
  const additions = files.reduce((n, f) => n + f.additions, 0);
  const deletions = files.reduce((n, f) => n + f.deletions, 0);
  const links = { base, commit: c.id, parent: detail.base };
  const body = html`${repoHeader(page.actor, row, 'commits', tags)}
    <article class="commit">
      <h2>${c.title || '(no message)'}</h2>
      ${rest ? html`<pre class="message">${rest}</pre>` : ''}
      <dl class="commit-meta small">
        <dt>Author</dt><dd>${c.authorName}</dd>
        <dt>Date</dt><dd>${when(c.date)} <span class="muted">(${c.date})</span></dd>
        <dt>Commit</dt><dd><code>${c.id}</code> · <a href="${base}/tree/${c.id}">Browse files</a></dd>
        <dt>${c.parents.length === 1 ? 'Parent' : 'Parents'}</dt><dd>${c.parents.length
          ? c.parents.map((p, i) => html`${i ? ', ' : ''}<a href="${base}/commit/${p}"><code>${shortId(p)}</code></a>`)
          : html`<span class="muted">none (first commit)</span>`}</dd>
      </dl>
    </article>
    <p class="small">${files.length} changed file${files.length === 1 ? '' : 's'}${showContent ? html` with <span class="plus">${additions} addition${additions === 1 ? '' : 's'}</span> and <span class="minus">${deletions} deletion${deletions === 1 ? '' : 's'}</span>` : ''}${c.parents.length > 1 ? html` <span class="muted">(compared with the first parent)</span>` : ''}</p>
    ${detail.moreFiles ? html`<p class="notice">This commit changes more files than a page lists; only the first ${files.length} are shown.</p>` : ''}
    ${detail.patchTruncated && showContent ? html`<p class="notice">This commit's diff is too large to show in full; files past the limit show no changes.</p>` : ''}
    ${files.length ? files.map((f, i) => fileDiff(f, i, links, showContent)) : html`<p class="empty">This commit changes no files.</p>`}`;
  return layout(page, `${c.title || shortId(c.id)} · ${row.namespace}/${row.name}`, body);
}
