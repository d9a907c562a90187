import type { Actor } from '../../auth/actor.js';
import { canDiscuss } from '../../auth/policy.js';
import {
  DISCUSSION_LIMITS,
  type DiscussionEventRow,
  type DiscussionRow,
  isWriter,
  type ListQuery,
  mayEditComment,
  mayHideComment,
  mayModify,
} from '../../services/discussions.js';
import type { FileChange } from '../../services/commit-diff.js';
import type { Hub } from '../../services/hub.js';
import { tagsOf } from '../../services/listing.js';
import type { PullRequestState } from '../../services/pull-requests.js';
import { accessInfo, type RepoRow } from '../../services/repos.js';
import { clientScript, formStatus, needsJs, repoData } from '../forms.js';
import { html, type SafeHtml, timeAgo, trusted } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { renderMarkdownCached } from '../markdown.js';
import { fileDiff } from './diff.js';
import { repoBase, repoHeader } from './repo.js';

const when = (iso: string): SafeHtml => html`<time datetime="${iso}" title="${iso}">${timeAgo(iso)}</time>`;
const short = (oid: string): string => oid.slice(0, 7);
const branchName = (ref: string | null): string => (ref ?? '').replace(/^refs\/heads\//, '');

const STATUS_LABEL: Record<DiscussionRow['status'], string> = { open: 'Open', closed: 'Closed', merged: 'Merged', draft: 'Draft' };

// The stylesheet is shared; these few colours stay with the page that uses them.
const STATUS_STYLE: Record<DiscussionRow['status'], string> = {
  open: 'border-color:var(--accent);color:var(--accent)',
  closed: 'border-color:var(--danger);color:var(--danger)',
  merged: 'border-color:#8250df;color:#8250df',
  draft: 'color:var(--muted)',
};

function statusPill(d: DiscussionRow): SafeHtml {
  return html`<span class="pill discussion-status status-${d.status}" style="${STATUS_STYLE[d.status]}" data-status-pill>${STATUS_LABEL[d.status]}</span>`;
}

function kindBadge(d: DiscussionRow): SafeHtml {
  return d.is_pull_request
    ? html`<span class="pill kind-pr" title="Pull request">Pull request</span>`
    : html`<span class="pill kind-discussion" title="Discussion">Discussion</span>`;
}

async function header(hub: Hub, page: PageContext, row: RepoRow): Promise<SafeHtml> {
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  return repoHeader(page.actor, row, 'community', tags);
}

// ---------------------------------------------------------------------------
// List
// ---------------------------------------------------------------------------

export interface ListPage {
  rows: DiscussionRow[];
  count: number;
  start: number;
  comments: Map<string, number>;
  query: ListQuery;
}

function filterUrl(base: string, q: ListQuery, change: Partial<ListQuery>): string {
  const next = { ...q, ...change };
  const params = new URLSearchParams();
  if (next.status !== 'open') params.set('status', next.status);
  if (next.type !== 'all') params.set('type', next.type);
  if (next.author) params.set('author', next.author);
  if (next.search) params.set('search', next.search);
  if (next.page) params.set('p', String(next.page));
  const s = params.toString();
  return `${base}/discussions${s ? `?${s}` : ''}`;
}

/** `/{repo}/discussions`: the Community tab, open ones first by default. */
export async function communityListPage(hub: Hub, page: PageContext, row: RepoRow, list: ListPage): Promise<string> {
  const base = repoBase(row);
  const q = list.query;
  const link = (label: string, change: Partial<ListQuery>, current: boolean): SafeHtml =>
    html`<a href="${filterUrl(base, q, { ...change, page: 0 })}" ${current ? html`aria-current="page" class="pill" style="font-weight:600"` : html`class="pill"`}>${label}</a>`;
  const mayOpen = page.actor.kind === 'user' && canDiscuss(page.actor, accessInfo(row));
  const last = list.start + list.rows.length;
  const body = html`${await header(hub, page, row)}
  <div id="community" ${repoData(row)}>
    <div class="row" style="justify-content:space-between;align-items:center">
      <nav class="row" aria-label="Filter discussions" data-filters>
        ${link('Open', { status: 'open' }, q.status === 'open')}${link('Closed', { status: 'closed' }, q.status === 'closed')}${link('All', { status: 'all' }, q.status === 'all')}
        <span class="muted small">·</span>
        ${link('Everything', { type: 'all' }, q.type === 'all')}${link('Discussions', { type: 'discussion' }, q.type === 'discussion')}${link('Pull requests', { type: 'pull_request' }, q.type === 'pull_request')}
      </nav>
      ${mayOpen
        ? html`<a class="button primary" href="${base}/discussions/new" data-new-discussion>New discussion</a>`
        : page.actor.kind === 'anonymous' ? html`<a class="button" href="/login?next=${encodeURIComponent(`${base}/discussions/new`)}">Sign in to start a discussion</a>` : ''}
    </div>
    <form method="get" action="${base}/discussions" class="row" style="margin:12px 0" role="search">
      <input type="hidden" name="status" value="${q.status}"><input type="hidden" name="type" value="${q.type}">
      <div class="grow"><label class="skip" for="discussion-search">Search titles</label><input id="discussion-search" type="search" name="search" value="${q.search ?? ''}" placeholder="Search titles"></div>
      <button type="submit">Search</button>
    </form>
    ${list.rows.length === 0
      ? html`<p class="empty" data-empty>No ${q.status === 'all' ? '' : `${q.status} `}${q.type === 'pull_request' ? 'pull requests' : q.type === 'discussion' ? 'discussions' : 'discussions or pull requests'} yet.</p>`
      : html`<ul class="commits" data-discussions>${list.rows.map(
          (d) => html`<li data-num="${String(d.num)}">
            <div class="row" style="align-items:center">${kindBadge(d)}${statusPill(d)}
              <a href="${base}/discussions/${String(d.num)}" style="font-weight:600" data-title>${d.title}</a></div>
            <div class="small muted">#${String(d.num)} opened ${when(d.created_at)} by <a href="/${d.author_name}">${d.author_name}</a>
              · ${String(Math.max(0, (list.comments.get(d.id) ?? 1) - 1))} repl${(list.comments.get(d.id) ?? 1) - 1 === 1 ? 'y' : 'ies'}</div>
          </li>`,
        )}</ul>`}
    ${list.count > DISCUSSION_LIMITS.pageSize
      ? html`<nav class="pager" aria-label="Pages">
          ${q.page > 0 ? html`<a href="${filterUrl(base, q, { page: q.page - 1 })}">← Newer</a>` : ''}
          <span class="small muted">${String(list.start + 1)}–${String(last)} of ${String(list.count)}</span>
          ${last < list.count ? html`<a href="${filterUrl(base, q, { page: q.page + 1 })}">Older →</a>` : ''}
        </nav>`
      : ''}
  </div>`;
  return layout(page, `Community · ${row.namespace}/${row.name}`, body);
}

// ---------------------------------------------------------------------------
// New discussion
// ---------------------------------------------------------------------------

/** `/{repo}/discussions/new`: title and Markdown description; the script posts to the API. */
export async function newDiscussionPage(hub: Hub, page: PageContext, row: RepoRow): Promise<string> {
  const body = html`${await header(hub, page, row)}
  <div id="community" ${repoData(row)} class="narrow">
    <h2>New discussion</h2>
    ${needsJs('Starting a discussion')}
    <form class="stack" id="new-discussion-form">
      <fieldset data-needs-js disabled>
        <div><label for="discussion-title">Title</label><input id="discussion-title" name="title" type="text" required maxlength="${String(DISCUSSION_LIMITS.titleMax)}" autofocus></div>
        <div><label for="discussion-description">Description <span class="small muted">(Markdown)</span></label>
          <textarea id="discussion-description" name="description" rows="8" maxlength="${String(DISCUSSION_LIMITS.commentMax)}"></textarea></div>
        <p class="small muted">To propose changes to files, open a pull request: commit with <code>create_pr=1</code> from a client
          (<code>upload_file(..., create_pr=True)</code> in Python, <code>isPullRequest: true</code> in JavaScript).</p>
        ${formStatus()}
        <p><button type="submit" class="primary">Start discussion</button></p>
      </fieldset>
    </form>
  </div>${clientScript('community')}`;
  return layout(page, `New discussion · ${row.namespace}/${row.name}`, body);
}

// ---------------------------------------------------------------------------
// Details
// ---------------------------------------------------------------------------

export interface DetailPage {
  discussion: DiscussionRow;
  events: DiscussionEventRow[];
  /** Pull requests only. */
  pr?: { state: PullRequestState; conflicts: string[]; files: FileChange[]; moreFiles: boolean; patchTruncated: boolean; showContent: boolean };
}

function commentBlock(actor: Actor, row: RepoRow, e: DiscussionEventRow, first: boolean): SafeHtml {
  const hidden = e.hidden === 1;
  const content = e.content ?? '';
  const text = hidden
    ? html`<p class="muted" data-hidden-note>This comment has been hidden${e.updated_by ? ` by ${e.updated_by}` : ''}.</p>`
    : content.trim()
      ? html`<div class="card-body" data-comment-body>${trusted(renderMarkdownCached(content))}</div>`
      : html`<p class="muted">${first ? 'No description provided.' : ''}</p>`;
  const canEdit = !hidden && mayEditComment(actor, row, e);
  const canHide = !hidden && mayHideComment(actor, row, e);
  return html`<article class="settings-section comment" id="comment-${e.id}" data-comment="${e.id}">
    <div class="small muted"><a href="/${e.author_name}"><strong>${e.author_name}</strong></a> ${first ? 'opened this' : 'commented'} ${when(e.created_at)}${e.edited ? html` · <span title="${e.updated_at ?? ''}">edited</span>` : ''}</div>
    ${text}
    ${canEdit || canHide
      ? html`<div class="row small">
          ${canEdit
            ? html`<details data-edit-comment><summary>Edit</summary>
                <form class="stack" data-edit-form="${e.id}"><fieldset data-needs-js disabled>
                  <label for="edit-${e.id}" class="skip">Edit comment</label>
                  <textarea id="edit-${e.id}" name="content" rows="6" maxlength="${String(DISCUSSION_LIMITS.commentMax)}">${content}</textarea>
                  ${formStatus()}
                  <p><button type="submit">Save</button></p>
                </fieldset></form></details>`
            : ''}
          ${canHide ? html`<button type="button" class="linklike" data-hide="${e.id}">Hide</button>` : ''}
        </div>`
      : ''}
  </article>`;
}

function otherEvent(base: string, e: DiscussionEventRow): SafeHtml {
  const data = JSON.parse(e.data) as Record<string, string>;
  let what: SafeHtml;
  switch (e.type) {
    case 'status-change':
      what = html`${data.status === 'merged' ? 'merged this pull request' : data.status === 'closed' ? 'closed this' : 'reopened this'}`;
      break;
    case 'title-change':
      what = html`changed the title from <del>${data.from ?? ''}</del> to <strong>${data.to ?? ''}</strong>`;
      break;
    case 'commit':
      what = html`added commit <a href="${base}/commit/${data.oid ?? ''}"><code>${short(data.oid ?? '')}</code></a> ${data.subject ?? ''}`;
      break;
    default:
      what = html`${e.type}`;
  }
  return html`<p class="small" data-event="${e.type}" style="margin:8px 12px"><strong>${e.author_name}</strong> ${what} ${when(e.created_at)}</p>`;
}

function prSummary(base: string, d: DiscussionRow, pr: NonNullable<DetailPage['pr']>): SafeHtml {
  const target = branchName(d.target_branch);
  return html`<p class="small" data-pr-summary>
    Wants to merge <code>refs/pr/${String(d.num)}</code>${pr.state.head ? html` (<a href="${base}/commit/${pr.state.head}"><code>${short(pr.state.head)}</code></a>)` : ''}
    into <a href="${base}/tree/${encodeURIComponent(target)}"><code>${target}</code></a>.
    ${d.merge_commit ? html`Merged as <a href="${base}/commit/${d.merge_commit}"><code data-merge-commit>${short(d.merge_commit)}</code></a>.` : ''}
    <span class="muted">Fetch it with <code>git fetch origin refs/pr/${String(d.num)}:pr/${String(d.num)}</code>.</span></p>`;
}

function actionsBlock(actor: Actor, row: RepoRow, d: DiscussionRow, pr: DetailPage['pr']): SafeHtml {
  const modify = mayModify(actor, row, d);
  const writer = isWriter(actor, row);
  const buttons: SafeHtml[] = [];
  if (modify && d.status === 'draft') buttons.push(html`<button type="button" data-set-status="open">Publish pull request</button>`);
  if (modify && (d.status === 'open' || d.status === 'draft')) buttons.push(html`<button type="button" data-set-status="closed">Close ${d.is_pull_request ? 'pull request' : 'discussion'}</button>`);
  if (modify && d.status === 'closed') buttons.push(html`<button type="button" data-set-status="open">Reopen</button>`);
  const merge =
    d.is_pull_request && writer && d.status === 'open'
      ? pr && pr.conflicts.length
        ? html`<p class="notice" data-conflicts>This pull request conflicts with <code>${branchName(d.target_branch)}</code> in: ${pr.conflicts.join(', ')}. Push a fix to <code>refs/pr/${String(d.num)}</code> to merge it.</p>`
        : html`<button type="button" class="primary" id="merge-button" data-merge>Merge pull request</button>`
      : '';
  if (buttons.length === 0 && !merge) return html``;
  return html`<div class="row" data-actions style="align-items:center;margin:12px 0">${merge}${buttons}</div>`;
}

/** `/{repo}/discussions/{num}`: the thread, actions for those allowed, and a PR's files. */
export async function discussionPage(hub: Hub, page: PageContext, row: RepoRow, detail: DetailPage): Promise<string> {
  const base = repoBase(row);
  const d = detail.discussion;
  const actor = page.actor;
  const signedIn = actor.kind === 'user';
  const discuss = signedIn && canDiscuss(actor, accessInfo(row));
  const firstComment = detail.events.find((e) => e.type === 'comment');
  const pr = detail.pr;
  const additions = pr ? pr.files.reduce((n, f) => n + f.additions, 0) : 0;
  const deletions = pr ? pr.files.reduce((n, f) => n + f.deletions, 0) : 0;
  const body = html`${await header(hub, page, row)}
  <div id="community" ${repoData(row)} data-num="${String(d.num)}">
    ${needsJs('Commenting and changing a discussion')}
    <div class="row" style="align-items:center">${kindBadge(d)}${statusPill(d)}<span class="muted">#${String(d.num)}</span></div>
    <h2 data-discussion-title style="margin-top:6px">${d.title}</h2>
    ${mayModify(actor, row, d)
      ? html`<details data-edit-title class="small"><summary>Edit title</summary>
          <form class="row" id="title-form"><fieldset data-needs-js disabled class="row grow">
            <div class="grow"><label class="skip" for="title-input">Title</label><input id="title-input" name="title" type="text" required maxlength="${String(DISCUSSION_LIMITS.titleMax)}" value="${d.title}"></div>
            <button type="submit">Save title</button>${formStatus()}
          </fieldset></form></details>`
      : ''}
    <p class="small muted"><a href="/${d.author_name}">${d.author_name}</a> opened this ${when(d.created_at)}</p>
    ${pr ? prSummary(base, d, pr) : ''}
    ${formStatus('actions-status')}
    ${actionsBlock(actor, row, d, pr)}
    <section data-thread>
      ${detail.events.map((e) => (e.type === 'comment' ? commentBlock(actor, row, e, e === firstComment) : otherEvent(base, e)))}
    </section>
    ${discuss
      ? html`<form class="stack settings-section" id="comment-form">
          <fieldset data-needs-js disabled>
            <label for="comment-input">Add a comment <span class="small muted">(Markdown)</span></label>
            <textarea id="comment-input" name="comment" rows="5" required maxlength="${String(DISCUSSION_LIMITS.commentMax)}"></textarea>
            ${formStatus()}
            <p><button type="submit" class="primary">Comment</button></p>
          </fieldset>
        </form>`
      : signedIn
        ? html`<p class="notice">Your credentials do not allow commenting here.</p>`
        : html`<p class="notice"><a href="/login?next=${encodeURIComponent(`${base}/discussions/${d.num}`)}">Sign in</a> to comment.</p>`}
    ${pr
      ? html`<section id="files-changed" data-files-changed>
          <h2>Files changed <span class="small muted">(${String(pr.files.length)}${pr.moreFiles ? '+' : ''})</span></h2>
          ${pr.showContent && pr.files.length ? html`<p class="small"><span class="plus">+${String(additions)}</span> <span class="minus">−${String(deletions)}</span></p>` : ''}
          ${pr.moreFiles ? html`<p class="notice">This pull request changes more files than a page lists.</p>` : ''}
          ${pr.patchTruncated && pr.showContent ? html`<p class="notice">This diff is too large to show in full; files past the limit show no changes.</p>` : ''}
          ${pr.files.length
            ? pr.files.map((f, i) => fileDiff(f, i, { base, commit: pr.state.head ?? '', parent: pr.state.diffBase }, pr.showContent))
            : html`<p class="empty">No changes yet${d.status === 'draft' ? html`: push commits to <code>refs/pr/${String(d.num)}</code>` : ''}.</p>`}
        </section>`
      : ''}
  </div>${clientScript('community')}`;
  return layout(page, `${d.title} · #${d.num} · ${row.namespace}/${row.name}`, body);
}
