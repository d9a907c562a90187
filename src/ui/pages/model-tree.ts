import type { Actor } from '../../auth/actor.js';
import type { LineageRelation } from '../../db/schema-lineage.js';
import type { Hub } from '../../services/hub.js';
import { type Ancestor, type BaseModel, baseModels, CHILDREN_PREVIEW, childCounts, childrenPage, type LineageRepo, modelTree, RELATIONS } from '../../services/lineage.js';
import { tagsOf } from '../../services/listing.js';
import type { RepoRow } from '../../services/repos.js';
import { html, type SafeHtml } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { repoBase, repoHeader } from './repo.js';

/** Page size of the "all children of one relation" view. */
export const MODEL_TREE_PAGE_SIZE = 50;

const PLURAL: Record<LineageRelation, string> = { adapter: 'Adapters', finetune: 'Finetunes', merge: 'Merges', quantized: 'Quantizations' };
const SINGULAR: Record<LineageRelation, string> = { adapter: 'adapter', finetune: 'finetune', merge: 'merge', quantized: 'quantization' };
/** The Hub's order in its model tree box. */
const ORDER: LineageRelation[] = ['adapter', 'finetune', 'merge', 'quantized'];

const modelPath = (id: string): string => `/${id.split('/').map(encodeURIComponent).join('/')}`;

/** Where an external base lives: the hub its URL named, else the Hugging Face Hub, where bare ids in cards point. */
function externalHref(b: { id: string; hub?: string }): string {
  return `${b.hub ?? 'https://huggingface.co'}${modelPath(b.id)}`;
}

/** A base model as a link: to its page here, or marked external and linking to its hub. */
export function baseLink(b: BaseModel): SafeHtml {
  if (!b.external) return html`<a href="${modelPath(b.id)}">${b.id}</a>${b.private ? html` <span class="pill private">private</span>` : ''}`;
  const host = new URL(externalHref(b)).host;
  return html`<a href="${externalHref(b)}" rel="noopener noreferrer nofollow" class="external">${b.id}</a> <span class="pill" title="Not on this hub">external · ${host}</span>`;
}

function repoLink(r: LineageRepo): SafeHtml {
  return html`<a href="${modelPath(r.id)}">${r.id}</a>${r.private ? html` <span class="pill private">private</span>` : ''}
    <span class="small muted">↓ ${String(r.downloads)} · ♥ ${String(r.likes)}</span>`;
}

/** The ancestors from the farthest down to the model itself, one list item per level. */
function chain(row: RepoRow, ancestors: Ancestor[]): SafeHtml {
  if (ancestors.length === 0) return html`<p class="empty">This model names no base model (<code>base_model</code> in its card).</p>`;
  const maxDepth = Math.max(...ancestors.map((a) => a.depth));
  const levels: SafeHtml[] = [];
  for (let d = maxDepth; d >= 1; d--) {
    const here = ancestors.filter((a) => a.depth === d);
    levels.push(html`<li><ul class="lineage-level">${here.map((a) => html`<li>${baseLink(a)}
      <span class="small muted">— ${a.child} is ${SINGULAR[a.relation] === 'adapter' ? 'an' : 'a'} ${SINGULAR[a.relation]} of it</span></li>`)}</ul></li>`);
  }
  levels.push(html`<li class="lineage-self" aria-current="page"><strong>${row.namespace}/${row.name}</strong> <span class="small muted">(this model)</span></li>`);
  return html`<ol class="lineage-chain" aria-label="Ancestors, from the oldest to this model">${levels}</ol>`;
}

/** `/{repo}/model-tree`: ancestors, the model, and its children by relation. */
export async function modelTreePage(hub: Hub, page: PageContext, row: RepoRow): Promise<string> {
  const tree = await modelTree(hub, page.actor, row);
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const base = repoBase(row);
  const id = `${row.namespace}/${row.name}`;
  const sections = ORDER.map((rel) => {
    const items = tree.children[rel];
    const n = tree.counts[rel];
    return html`<section class="lineage-children" aria-labelledby="children-${rel}">
      <h4 id="children-${rel}">${PLURAL[rel]} <span class="count muted">(${String(n)})</span></h4>
      ${n === 0 ? html`<p class="empty small">No ${PLURAL[rel].toLowerCase()} of this model.</p>` : html`<ul class="plain-list">${items.map((c) => html`<li>${repoLink(c)}</li>`)}</ul>`}
      ${n > CHILDREN_PREVIEW ? html`<p><a href="${base}/model-tree?relation=${rel}">Show all ${String(n)} ${PLURAL[rel].toLowerCase()}</a></p>` : ''}
      ${n > 0 ? html`<p class="small"><a href="/models?filter=${encodeURIComponent(`base_model:${rel}:${id}`)}">Search models tagged base_model:${rel}:${id}</a></p>` : ''}
    </section>`;
  });
  const body = html`${repoHeader(page.actor, row, 'model-tree', tags)}
    <h2>Model tree for ${id}</h2>
    <p class="small muted">From the <code>base_model</code> and <code>base_model_relation</code> fields of the model cards; the relation is inferred when a card does not give it.
      <a href="/api/models/${row.namespace}/${row.name}/model-tree/full">The whole family as JSON</a>.</p>
    <section aria-labelledby="lineage-up"><h3 id="lineage-up">Base models</h3>${chain(row, tree.ancestors)}</section>
    <section aria-labelledby="lineage-down"><h3 id="lineage-down">Derived models</h3>${sections}</section>`;
  return layout(page, `Model tree · ${id}`, body);
}

/** `/{repo}/model-tree?relation=…&p=…`: every child of one relation, page by page. */
export async function modelTreeRelationPage(hub: Hub, page: PageContext, row: RepoRow, relation: LineageRelation, p: number): Promise<string> {
  const { total, items } = await childrenPage(hub, page.actor, row, relation, p, MODEL_TREE_PAGE_SIZE);
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const base = repoBase(row);
  const id = `${row.namespace}/${row.name}`;
  const pages = Math.max(1, Math.ceil(total / MODEL_TREE_PAGE_SIZE));
  const body = html`${repoHeader(page.actor, row, 'model-tree', tags)}
    <p><a href="${base}/model-tree">← Model tree for ${id}</a></p>
    <h2>${PLURAL[relation]} of ${id} <span class="count muted">(${String(total)})</span></h2>
    ${items.length ? html`<ul class="plain-list">${items.map((c) => html`<li>${repoLink(c)}</li>`)}</ul>` : html`<p class="empty">Nothing here.</p>`}
    ${pages > 1 ? html`<nav class="pager" aria-label="Pages">
      ${p > 0 ? html`<a href="${base}/model-tree?relation=${relation}&p=${String(p - 1)}" rel="prev">Previous</a>` : ''}
      <span>Page ${String(p + 1)} of ${String(pages)}</span>
      ${p + 1 < pages ? html`<a href="${base}/model-tree?relation=${relation}&p=${String(p + 1)}" rel="next">Next</a>` : ''}</nav>` : ''}`;
  return layout(page, `${PLURAL[relation]} · ${id}`, body);
}

/** The card page's box: the bases and how many models derive from this one, like the Hub's. */
export async function modelTreeBox(hub: Hub, actor: Actor, row: RepoRow): Promise<SafeHtml> {
  if (row.type !== 'model') return html``;
  const [bases, counts] = await Promise.all([baseModels(hub, actor, row), childCounts(hub, actor, row)]);
  const derived = ORDER.filter((r) => counts[r] > 0);
  if (bases.length === 0 && derived.length === 0) return html``;
  const base = repoBase(row);
  return html`<section class="model-tree-box" aria-labelledby="model-tree-box-title">
    <h2 id="model-tree-box-title" class="small muted" style="margin:0 0 6px"><a href="${base}/model-tree">Model tree</a> for ${row.namespace}/${row.name}</h2>
    <dl>
      ${bases.length ? html`<dt>Base model${bases.length > 1 ? 's' : ''}</dt><dd><ul class="bare">${bases.map((b) => html`<li>${baseLink(b)} <span class="small muted">(${SINGULAR[b.relation]})</span></li>`)}</ul></dd>` : ''}
      ${derived.map((r) => html`<dt>${PLURAL[r]}</dt><dd><a href="${base}/model-tree#children-${r}">${String(counts[r])} model${counts[r] === 1 ? '' : 's'}</a></dd>`)}
    </dl>
  </section>`;
}

export { RELATIONS };
