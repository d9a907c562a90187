import type { Actor } from '../../auth/actor.js';
import type { Hub } from '../../services/hub.js';
import { listRepos, tagsOf } from '../../services/listing.js';
import { html } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { repoCards } from './repo-list.js';

/** Trending (recent likes and downloads, decayed: src/services/trending.ts) and recently updated repos. */
export async function homePage(hub: Hub, page: PageContext): Promise<string> {
  const actor: Actor = page.actor;
  const base = { search: [], author: undefined, filter: [], ascending: false, offset: 0, limit: 12 };
  const [trending, recentModels, recentDatasets] = await Promise.all([
    listRepos(hub, actor, { ...base, type: 'model', sort: 'trendingScore' }),
    listRepos(hub, actor, { ...base, type: 'model', sort: 'lastModified' }),
    listRepos(hub, actor, { ...base, type: 'dataset', sort: 'lastModified', limit: 6 }),
  ]);
  const tags = await tagsOf(hub, [...trending.rows, ...recentModels.rows, ...recentDatasets.rows].map((r) => r.id));
  const body = html`
  <h1>Open models, on your own machines</h1>
  <p class="muted">Browse models and datasets, read their cards, and download them with the Hugging Face clients, git, or this page.</p>
  <h2>Trending models</h2>${repoCards(trending.rows, tags, 'No models yet. Create one with “New”, or push with git.')}
  <h2>Recently updated</h2>${repoCards(recentModels.rows, tags, 'Nothing updated yet.')}
  <h2>Datasets</h2>${repoCards(recentDatasets.rows, tags, 'No datasets yet.')}`;
  return layout(page, 'Home', body);
}
