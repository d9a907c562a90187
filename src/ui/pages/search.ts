import { type RepoType, typePlural, typePrefix } from '../../core/repo-id.js';
import type { Hub } from '../../services/hub.js';
import { listRepos, tagsOf } from '../../services/listing.js';
import { html, timeAgo } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { repoCards, typeLabel } from './repo-list.js';

const PAGE = 30;
const SORTS: [string, string][] = [['downloads', 'Most downloads'], ['likes', 'Most likes'], ['lastModified', 'Recently updated'], ['createdAt', 'Newest']];

export interface SearchQuery {
  search: string;
  author: string;
  sort: string;
  page: number;
  /** tag filters: `license:mit`, `text-generation`, … */
  filters: string[];
}

/**
 * `/models`, `/datasets`, `/spaces`: search with filters and sorting. A
 * plain GET form, so that it works without JavaScript and every result page
 * has a URL.
 */
/**
 * The search page. `mirrored` lists cached repos of an upstream hub that match
 * (docs/mirror.md), shown after the local ones and marked as mirrored.
 */
export async function searchPage(hub: Hub, page: PageContext, type: RepoType, q: SearchQuery, mirrored: { id: string; lastAccess: string }[] = []): Promise<string> {
  const { rows, hasMore } = await listRepos(hub, page.actor, {
    type, search: q.search ? [q.search] : [], author: q.author || undefined, filter: q.filters, sort: q.sort || 'downloads',
    ascending: false, offset: (q.page - 1) * PAGE, limit: PAGE,
  });
  const tags = await tagsOf(hub, rows.map((r) => r.id));
  const link = (patch: Partial<SearchQuery>): string => {
    const next = { ...q, ...patch };
    const p = new URLSearchParams();
    if (next.search) p.set('search', next.search);
    if (next.author) p.set('author', next.author);
    if (next.sort) p.set('sort', next.sort);
    for (const f of next.filters) p.append('filter', f);
    if (next.page > 1) p.set('p', String(next.page));
    const s = p.toString();
    return `/${typePlural(type)}${s ? `?${s}` : ''}`;
  };
  const body = html`
  <div class="layout">
    <form class="filters" method="get" action="/${typePlural(type)}" aria-label="Filters">
      <label for="q">Search</label><input id="q" type="search" name="search" value="${q.search}">
      <label for="author">Author</label><input id="author" type="text" name="author" value="${q.author}">
      <label for="task">Task</label><input id="task" type="text" name="filter" placeholder="e.g. text-generation" value="${q.filters.find((f) => !f.includes(':')) ?? ''}">
      <label for="library">Library</label><input id="library" type="text" name="library" placeholder="e.g. transformers">
      <label for="license">License</label><input id="license" type="text" name="license" placeholder="e.g. apache-2.0" value="${(q.filters.find((f) => f.startsWith('license:')) ?? '').slice(8)}">
      <label for="language">Language</label><input id="language" type="text" name="language" placeholder="e.g. en">
      <label for="sort">Sort</label><select id="sort" name="sort">${SORTS.map(([v, l]) => html`<option value="${v}" ${q.sort === v ? html`selected` : ''}>${l}</option>`)}</select>
      <p><button class="primary" type="submit">Apply</button></p>
    </form>
    <section>
      <h1>${typeLabel(type)}${q.search ? html` matching “${q.search}”` : ''}</h1>
      ${q.filters.length ? html`<p>${q.filters.map((f) => html`<a class="pill" href="${link({ filters: q.filters.filter((x) => x !== f), page: 1 })}" title="Remove this filter">${f} ✕</a>`)}</p>` : ''}
      ${repoCards(rows, tags, mirrored.length ? 'No local repositories match.' : 'No repositories match. Try fewer filters.')}
      ${!hasMore && mirrored.length
        ? html`<h2 id="mirrored">Mirrored from upstream</h2><ul class="repo-list">${mirrored.map(
            (m) => html`<li><span class="pill mirrored">mirrored</span> <a href="/${typePrefix(type)}${m.id}">${m.id}</a> <span class="muted">used ${timeAgo(m.lastAccess)}</span></li>`,
          )}</ul>`
        : ''}
      <nav class="small" aria-label="Pages" style="margin-top:12px">
        ${q.page > 1 ? html`<a href="${link({ page: q.page - 1 })}">← Previous</a> ` : ''}
        <span class="muted">Page ${String(q.page)}</span>
        ${hasMore ? html` <a href="${link({ page: q.page + 1 })}">Next →</a>` : ''}
      </nav>
    </section>
  </div>`;
  return layout({ ...page, search: q.search }, typeLabel(type), body);
}

/** Reads the search query from URL parameters; library, license and language become tag filters. */
export function readSearchQuery(params: URLSearchParams, type: RepoType): SearchQuery {
  const filters = params.getAll('filter').filter(Boolean);
  const library = params.get('library');
  if (library) filters.push(library);
  const license = params.get('license');
  if (license) filters.push(`license:${license}`);
  const language = params.get('language');
  if (language) filters.push(type === 'model' ? language : `language:${language}`);
  const page = Number(params.get('p') ?? '1');
  return {
    search: params.get('search') ?? '',
    author: params.get('author') ?? '',
    sort: params.get('sort') ?? 'downloads',
    page: Number.isSafeInteger(page) && page > 0 && page < 10_000 ? page : 1,
    filters: [...new Set(filters)],
  };
}
