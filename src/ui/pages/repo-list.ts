import type { RepoType } from '../../core/repo-id.js';
import { typePrefix } from '../../core/repo-id.js';
import type { RepoRow } from '../../services/repos.js';
import { html, type SafeHtml, timeAgo } from '../html.js';

const TYPE_LABEL: Record<RepoType, string> = { model: 'Models', dataset: 'Datasets', space: 'Spaces' };
export function typeLabel(t: RepoType): string {
  return TYPE_LABEL[t];
}

/** A grid of repo cards. */
export function repoCards(rows: RepoRow[], tags: Map<string, string[]>, empty: string): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<ul class="cards">${rows.map((r) => {
    const t = (tags.get(r.id) ?? []).filter((x) => !x.includes(':')).slice(0, 4);
    return html`<li><a class="name" href="/${typePrefix(r.type)}${r.namespace}/${r.name}">${r.namespace}/${r.name}</a>
      ${r.private ? html`<span class="pill private">private</span>` : ''}${r.gated ? html`<span class="pill">gated</span>` : ''}
      <div class="small muted">${r.pipeline_tag ? html`${r.pipeline_tag} · ` : ''}updated ${timeAgo(r.last_modified)} · ↓ ${String(r.downloads)} · ♥ ${String(r.likes)}</div>
      <div>${t.map((x) => html`<span class="pill">${x}</span>`)}</div></li>`;
  })}</ul>`;
}
