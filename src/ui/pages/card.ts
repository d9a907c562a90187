import { bypassesGate } from '../../auth/policy.js';
import type { Hub } from '../../services/hub.js';
import { tagsOf } from '../../services/listing.js';
import { readSmallFile } from '../../services/preupload.js';
import { accessInfo, type RepoRow } from '../../services/repos.js';
import { resolveRevision } from '../../services/revisions.js';
import { formatBytes, html, type SafeHtml, trusted } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { cardBody, renderMarkdownCached } from '../markdown.js';
import { repoBase, repoHeader } from './repo.js';
import { cardEditLink } from './file-actions.js';
import { listFiles } from '../../services/tree-index.js';
import { modelTreeBox } from './model-tree.js';
import { evalsSummary } from './evals.js';

const list = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Card metadata as a definition list: never as raw YAML. */
function metadata(card: Record<string, unknown> | undefined, row: RepoRow): SafeHtml {
  if (!card) return html``;
  const link = (kind: string, filter: string, label = filter): SafeHtml => html`<a href="/${kind}s?filter=${encodeURIComponent(filter)}">${label}</a>`;
  const items: [string, SafeHtml | string][] = [];
  const add = (label: string, values: (SafeHtml | string)[]): void => {
    if (values.length) items.push([label, html`${values.map((v, i) => html`${i ? ', ' : ''}${v}`)}`]);
  };
  add('License', list(card.license).map((l) => link(row.type, `license:${l}`, l)));
  add('Task', list(card.pipeline_tag ?? card.task_categories));
  add('Library', list(card.library_name));
  add('Languages', list(card.language));
  add('Base model', list(card.base_model).map((b) => html`<a href="/${b.split('/').map(encodeURIComponent).join('/')}">${b}</a>`));
  add('Datasets', list(card.datasets).map((d) => html`<a href="/datasets/${d.split('/').map(encodeURIComponent).join('/')}">${d}</a>`));
  add('Metrics', list(card.metrics));
  add('Size', list(card.size_categories));
  if (items.length === 0) return html``;
  return html`<section><h2 class="small muted" style="margin:0 0 6px">Metadata</h2><dl>${items.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></section>`;
}

/** Evaluation results from `model-index`, as a table. */
function evalResults(card: Record<string, unknown> | undefined): SafeHtml {
  const index = card?.['model-index'];
  if (!Array.isArray(index)) return html``;
  const rows: SafeHtml[] = [];
  for (const m of index as Record<string, unknown>[]) {
    for (const r of Array.isArray(m?.results) ? (m.results as Record<string, any>[]) : []) {
      for (const metric of Array.isArray(r?.metrics) ? (r.metrics as Record<string, unknown>[]) : []) {
        rows.push(html`<tr><td>${String(r?.dataset?.name ?? r?.dataset?.type ?? '')}</td><td>${String(metric?.name ?? metric?.type ?? '')}</td><td>${String(metric?.value ?? '')}</td></tr>`);
      }
    }
  }
  if (rows.length === 0) return html``;
  return html`<section><h2 class="small muted" style="margin:0 0 6px">Evaluation results</h2><table class="data"><tr><th>Dataset</th><th>Metric</th><th>Value</th></tr>${rows}</table></section>`;
}

function snippets(row: RepoRow, baseUrl: string, card: Record<string, unknown> | undefined): SafeHtml {
  const id = `${row.namespace}/${row.name}`;
  const typeArg = row.type === 'model' ? '' : `, repo_type="${row.type}"`;
  const transformers = card?.library_name === 'transformers'
    ? `\n\n# with transformers\nfrom transformers import AutoModel\nmodel = AutoModel.from_pretrained("${id}")` : '';
  const py = `# HF_ENDPOINT=${baseUrl} HF_HUB_DISABLE_XET=1\nfrom huggingface_hub import snapshot_download\npath = snapshot_download("${id}"${typeArg})${transformers}`;
  const git = `git clone ${baseUrl}${repoBase(row)}`;
  return html`<section><h2 class="small muted" style="margin:0 0 6px">Use this ${row.type}</h2>
    <button type="button" class="copy" data-copy="snippet-py" hidden>Copy</button><pre class="snippet"><code id="snippet-py">${py}</code></pre>
    <button type="button" class="copy" data-copy="snippet-git" hidden>Copy</button><pre class="snippet"><code id="snippet-git">${git}</code></pre></section>`;
}

/** The repo's front page: the rendered card beside its metadata. */
export async function cardPage(hub: Hub, page: PageContext, row: RepoRow): Promise<string> {
  const rev = await resolveRevision(hub, row, 'HEAD');
  const readme = await readSmallFile(hub, row, rev.tree, 'README.md');
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const card = row.card_data ? (JSON.parse(row.card_data) as Record<string, unknown>) : undefined;
  const files = await listFiles(hub, row.id, rev.tree);
  const body = readme
    ? trusted(renderMarkdownCached(cardBody(readme), { fileBase: `${repoBase(row)}/resolve/${rev.commit}` }))
    : html`<div class="empty">This ${row.type} has no card yet. A README.md with YAML metadata at the top becomes its card.</div>`;
  const gatedNotice = row.gated && !bypassesGate(page.actor, accessInfo(row))
    ? html`<div class="notice" id="gate">You need to agree to share your contact information to access this ${row.type}'s files.
        <a href="${repoBase(row)}/access">Request access</a></div>` : '';
  const main = html`${repoHeader(page.actor, row, 'card', tags)}
  <div class="layout side-right">
    <article class="card-body">${gatedNotice}${cardEditLink(page.actor, row, readme !== undefined)}${body}</article>
    <aside class="meta">
      ${metadata(card, row)}
      ${await modelTreeBox(hub, page.actor, row)}
      ${row.type === 'model' ? await evalsSummary(hub, page.actor, row) : evalResults(card)}
      <section><dl><dt>Files</dt><dd>${String(files.length)}</dd><dt>Size</dt><dd>${formatBytes(files.reduce((n, f) => n + f.size, 0))}</dd><dt>Commit</dt><dd><code>${rev.commit.slice(0, 7)}</code></dd></dl></section>
      ${snippets(row, page.baseUrl, card)}
    </aside>
  </div>`;
  return layout(page, `${row.namespace}/${row.name}`, main, { description: typeof card?.description === 'string' ? card.description : `${row.type} ${row.namespace}/${row.name}` });
}
