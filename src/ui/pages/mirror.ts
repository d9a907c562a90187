import { formatSize } from '../../core/sizes.js';
import type { MirrorStats } from '../../mirror/cache-service.js';
import { html, timeAgo } from '../html.js';
import { layout, type PageContext } from '../layout.js';

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/** `/mirror`: what the pull-through cache holds, how often it answers without upstream, and its repos. */
export function mirrorPage(page: PageContext, stats: MirrorStats, repos: { type: string; id: string; lastAccess: string }[]): string {
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
          (r) => html`<li><span class="badge">mirrored</span> <span class="muted">${r.type}</span> <a href="${page.baseUrl}/api/${r.type}s/${r.id}">${r.id}</a> <span class="muted">used ${timeAgo(r.lastAccess)}</span></li>`,
        )}</ul>`}`;
  return layout(page, 'Mirror', body);
}
