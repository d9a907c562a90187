import type { Actor } from '../../auth/actor.js';
import { can } from '../../auth/policy.js';
import { type RepoType, typePrefix } from '../../core/repo-id.js';
import type { Hub } from '../../services/hub.js';
import { accessInfo, type RepoRow } from '../../services/repos.js';
import { html, pathUrl, type SafeHtml, timeAgo } from '../html.js';
import { likeButton, socialExtras } from './collections-repo.js';

export type RepoTab = 'card' | 'files' | 'commits' | 'community' | 'model-tree' | 'evals' | 'feedback' | 'upload' | 'settings';

export function repoBase(row: { type: RepoType; namespace: string; name: string }): string {
  return `/${typePrefix(row.type)}${row.namespace}/${row.name}`;
}

/** The repo's title, badges and tabs, shared by every repo page. */
export function repoHeader(actor: Actor, row: RepoRow, tab: RepoTab, tags: string[]): SafeHtml {
  const base = repoBase(row);
  const admin = can(actor, 'admin', accessInfo(row));
  const writer = can(actor, 'write', accessInfo(row));
  const current = (t: RepoTab): SafeHtml | string => (t === tab ? html`aria-current="page"` : '');
  const shownTags = tags.filter((t) => !t.startsWith('base_model:')).slice(0, 12);
  return html`<div class="repo-head">
    <div class="small muted">${row.type === 'model' ? 'Model' : row.type === 'dataset' ? 'Dataset' : 'Space'}</div>
    <h1><a href="/${row.namespace}">${row.namespace}</a> / <a href="${base}">${row.name}</a>
      ${row.private ? html`<span class="pill private">private</span>` : ''}${row.gated ? html`<span class="pill">gated</span>` : ''}</h1>
    ${row.mirror_of ? html`<div class="small muted">Mirrored from <a href="${row.mirror_of}" rel="nofollow noopener">${row.mirror_of}</a> · read-only here</div>` : ''}
    <div>${shownTags.map((t) => html`<a class="pill" href="/${row.type}s?filter=${encodeURIComponent(t)}">${t}</a>`)}</div>
    <div class="small muted">↓ ${String(row.downloads)} downloads · ${likeButton(actor, row)} · updated ${timeAgo(row.last_modified)}</div>
    ${socialExtras(actor, row)}
    <nav class="tabs" aria-label="Repository">
      <a href="${base}" ${current('card')}>${row.type === 'dataset' ? 'Dataset card' : row.type === 'space' ? 'App' : 'Model card'}</a>
      <a href="${base}/tree/${encodeURIComponent(row.default_branch)}" ${current('files')}>Files and versions</a>
      <a href="${base}/commits/${encodeURIComponent(row.default_branch)}" ${current('commits')}>Commits</a>
      <a href="${base}/discussions" ${current('community')}>Community</a>
      ${row.type === 'model' ? html`<a href="${base}/model-tree" ${current('model-tree')}>Model tree</a>` : ''}
      ${row.type === 'model' ? html`<a href="${base}/evals" ${current('evals')}>Evaluations</a>` : ''}
      ${row.type === 'model' ? html`<a href="${base}/feedback" ${current('feedback')}>Feedback</a>` : ''}
      ${writer ? html`<a href="${base}/upload/${encodeURIComponent(row.default_branch)}" ${current('upload')}>Upload</a>` : ''}
      ${admin ? html`<a href="${base}/settings" ${current('settings')}>Settings</a>` : ''}
    </nav>
  </div>`;
}

/** Breadcrumbs for a path inside a repo at a revision. */
export function crumbs(row: RepoRow, rev: string, path: string): SafeHtml {
  const base = repoBase(row);
  const parts = path ? path.split('/') : [];
  return html`<nav class="crumbs" aria-label="Path"><a href="${base}/tree/${encodeURIComponent(rev)}">${row.name}</a>${parts.map((p, i) => {
    const sub = parts.slice(0, i + 1).join('/');
    return i === parts.length - 1 ? html` / <strong>${p}</strong>` : html` / <a href="${base}/tree/${encodeURIComponent(rev)}/${pathUrl(sub)}">${p}</a>`;
  })}</nav>`;
}

/** The refs menu: switch the page to another branch or tag. */
export async function refSwitcher(hub: Hub, row: RepoRow, rev: string, to: (ref: string) => string): Promise<SafeHtml> {
  const refs = await hub.db.selectFrom('refs').select('name').where('repo_id', '=', row.id).orderBy('name').execute();
  const names = refs.map((r) => r.name).filter((n) => n.startsWith('refs/heads/') || n.startsWith('refs/tags/'));
  return html`<details class="small" style="display:inline-block"><summary>${rev.length === 40 ? rev.slice(0, 7) : rev}</summary>
    <ul style="margin:4px 0;padding-left:18px">${names.map((n) => {
      const short = n.replace(/^refs\/(heads|tags)\//, '');
      return html`<li><a href="${to(short)}">${short}</a>${n.startsWith('refs/tags/') ? html` <span class="muted">tag</span>` : ''}</li>`;
    })}</ul></details>`;
}
