import { typePrefix, type RepoType } from '../../core/repo-id.js';
import { formatSize } from '../../core/sizes.js';
import type { MirrorStats } from '../../mirror/cache-service.js';
import { html, timeAgo, trusted } from '../html.js';
import { layout, type PageContext } from '../layout.js';

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/** `/mirror`: what the pull-through cache holds, how often it answers without upstream, and its repos. */
export function mirrorPage(page: PageContext, stats: MirrorStats, repos: { type: RepoType; id: string; lastAccess: string }[]): string {
  const cap = stats.usage.maxBytes > 0 ? ` of ${formatSize(stats.usage.maxBytes)}` : ' (no cap)';
  const body = html`<h1>Mirror</h1>
    <p>This hub is a pull-through cache of <code>${stats.upstream}</code>${stats.offline ? html` and is <strong>offline</strong>: it serves only what it holds` : ''}.
    Repos this hub does not hold are answered from upstream and cached.</p>
    <table class="mirror-stats">
      <tr><th scope="row">Cached files</th><td id="mirror-usage">${formatSize(stats.usage.bytes)}${cap} in ${String(stats.usage.objects)} objects, ${String(stats.usage.repos)} repos</td></tr>
      <tr><th scope="row">File hit rate</th><td id="mirror-file-hits">${percent(stats.files.hitRate)} (${String(stats.files.hits)} hits, ${String(stats.files.misses)} misses)</td></tr>
      <tr><th scope="row">Metadata hit rate</th><td id="mirror-meta-hits">${percent(stats.metadata.hitRate)} (${String(stats.metadata.hits)} hits, ${String(stats.metadata.misses)} misses, ${String(stats.metadata.staleServed)} served while upstream was unreachable)</td></tr>
      <tr><th scope="row">Transferred</th><td>${formatSize(stats.files.bytesFromUpstream)} from upstream in ${String(stats.files.transfers)} transfers; ${formatSize(stats.files.bytesFromCache)} served from the cache</td></tr>
      <tr><th scope="row">Refused, evicted</th><td>${String(stats.files.refused)} objects whose bytes did not match upstream's announcement; ${String(stats.files.evicted)} evicted</td></tr>
    </table>
    <p class="muted">Counts are for this process since it started; sizes are for the whole cache.</p>
    <h2>Mirrored repos</h2>
    ${repos.length === 0
      ? html`<p class="muted">Nothing cached yet.</p>`
      : html`<ul class="repo-list" id="mirrored-repos">${repos.map(
          (r) => html`<li><span class="pill mirrored">mirrored</span> <span class="muted">${r.type}</span> <a href="${page.baseUrl}/${typePrefix(r.type)}${r.id}">${r.id}</a> <span class="muted">used ${timeAgo(r.lastAccess)}</span></li>`,
        )}</ul>`}`;
  return layout(page, 'Mirror', body);
}

export interface MirroredRepoView {
  type: string;
  id: string;
  commit: string;
  upstream: string;
  /** Rendered, sanitised card HTML, or undefined without a README. */
  card: string | undefined;
  entries: { type: string; path: string; size?: number }[];
  /** `/{P}{ns}/{name}` on this hub. */
  base: string;
}

/** `/{repo}` of an upstream repo this hub mirrors: the card and the top-level files, marked as mirrored. */
export function mirroredRepoPage(page: PageContext, v: MirroredRepoView): string {
  const body = html`<h1>${v.id} <span class="pill mirrored" id="mirrored-badge">mirrored</span></h1>
    <p class="muted">Mirrored from <code>${v.upstream}</code> at commit <code>${v.commit.slice(0, 12)}</code>. This hub caches what is downloaded; it is read-only here.</p>
    <h2>Files</h2>
    <ul class="repo-files" id="mirrored-files">${v.entries.map((e) =>
      e.type === 'directory'
        ? html`<li>${e.path}/</li>`
        : html`<li><a href="${v.base}/resolve/${v.commit}/${e.path.split('/').map(encodeURIComponent).join('/')}">${e.path}</a> <span class="muted">${formatSize(e.size ?? 0)}</span></li>`,
    )}</ul>
    ${v.card === undefined ? html`<p class="muted">No model card.</p>` : html`<article class="card markdown">${trusted(v.card)}</article>`}`;
  return layout(page, v.id, body);
}
