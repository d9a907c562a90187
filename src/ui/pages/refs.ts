import type { Hub } from '../../services/hub.js';
import { tagsOf } from '../../services/listing.js';
import type { RepoRow } from '../../services/repos.js';
import { html, type SafeHtml, timeAgo } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { repoBase, repoHeader } from './repo.js';

interface RefHead {
  name: string;
  oid: string;
  commit: { title: string; date: string; author_name: string } | undefined;
}

function refTable(base: string, refs: RefHead[], defaultBranch: string | undefined, empty: string): SafeHtml {
  if (refs.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<table class="files refs"><tbody>${refs.map((r) => {
    const rev = encodeURIComponent(r.name);
    return html`<tr>
      <td class="name"><a href="${base}/tree/${rev}"><strong>${r.name}</strong></a>${r.name === defaultBranch ? html` <span class="pill">default</span>` : ''}</td>
      <td><a href="${base}/commit/${r.oid}">${r.commit?.title || r.oid.slice(0, 7)}</a>
        <div class="small muted"><code>${r.oid.slice(0, 7)}</code>${r.commit ? html` · ${r.commit.author_name} · <time datetime="${r.commit.date}" title="${r.commit.date}">${timeAgo(r.commit.date)}</time>` : ''}</div></td>
      <td class="when"><a href="${base}/commits/${rev}">History</a></td>
    </tr>`;
  })}</tbody></table>`;
}

/** `/{repo}/refs`: every branch and tag with the commit it points at (from the index, no git). */
export async function refsPage(hub: Hub, page: PageContext, row: RepoRow): Promise<string> {
  const base = repoBase(row);
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const refs = await hub.db.selectFrom('refs').select(['name', 'oid']).where('repo_id', '=', row.id).orderBy('name').execute();
  const oids = [...new Set(refs.map((r) => r.oid))];
  const commits = oids.length
    ? await hub.db.selectFrom('commits').select(['oid', 'title', 'date', 'author_name']).where('repo_id', '=', row.id).where('oid', 'in', oids).execute()
    : [];
  const byOid = new Map(commits.map((c) => [c.oid, c]));
  const pick = (prefix: string): RefHead[] =>
    refs.filter((r) => r.name.startsWith(prefix)).map((r) => ({ name: r.name.slice(prefix.length), oid: r.oid, commit: byOid.get(r.oid) }));
  // The default branch first, the rest by name.
  const branches = pick('refs/heads/').sort((a, b) => Number(b.name === row.default_branch) - Number(a.name === row.default_branch));
  const body = html`${repoHeader(page.actor, row, 'commits', tags)}
    <h2>Branches</h2>${refTable(base, branches, row.default_branch, 'No branches.')}
    <h2>Tags</h2>${refTable(base, pick('refs/tags/'), undefined, 'No tags yet.')}`;
  return layout(page, `Branches and tags · ${row.namespace}/${row.name}`, body);
}
