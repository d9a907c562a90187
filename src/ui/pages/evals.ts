import { can } from '../../auth/policy.js';
import type { Hub } from '../../services/hub.js';
import { listResults, type PresentedResult } from '../../services/evals.js';
import { tagsOf } from '../../services/listing.js';
import { accessInfo, type RepoRow } from '../../services/repos.js';
import { clientScript, formStatus, needsJs } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { repoBase, repoHeader } from './repo.js';

const datasetPath = (id: string): string => `/datasets/${id.split('/').map(encodeURIComponent).join('/')}`;

/** Where a result came from, in words. */
function sourceLabel(r: PresentedResult): SafeHtml {
  if (r.source === 'card') return html`<span class="pill">card</span>`;
  if (r.source === 'api') return html`<span class="pill">API</span>`;
  const path = r.source.replace(/^file:/, '');
  return html`<span class="pill" title="${path}">file</span> <code class="small">${path}</code>`;
}

function badges(r: PresentedResult): SafeHtml {
  if (r.verified) return html`<span class="pill eval-verified" title="Marked verified in the card's model-index">verified</span>`;
  return r.selfReported ? html`<span class="pill eval-self">self-reported</span>` : html`<span class="pill eval-reproduced">reproduced</span>`;
}

function flags(r: PresentedResult): SafeHtml {
  const f = r.flags;
  if (!f.contaminated && !f.unverified) return html``;
  return html`${f.contaminated ? html`<span class="pill eval-flag">contaminated</span>` : ''}${f.unverified ? html`<span class="pill eval-flag">unverified</span>` : ''}${f.note ? html`<div class="small muted">${f.note}${f.by ? html` — ${f.by}` : ''}</div>` : ''}`;
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

function benchmarkTitle(r: PresentedResult): SafeHtml {
  const b = r.benchmark;
  const title = b.name && b.name !== b.id ? html` <span class="muted">${b.name}</span>` : '';
  if (b.onHub) return html`<a href="${datasetPath(b.id)}">${b.id}</a>${title}${b.higherIsBetter === false ? html` <span class="small muted">(lower is better)</span>` : ''}`;
  return html`${b.id}${title} <span class="pill" title="Not a benchmark dataset on this hub">external</span>`;
}

/** The "Evaluations" tab of a model: its results grouped by benchmark. */
export async function evalsPage(hub: Hub, page: PageContext, row: RepoRow): Promise<string> {
  const results = await listResults(hub, page.actor, row);
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const base = repoBase(row);
  const groups = new Map<string, PresentedResult[]>();
  for (const r of results) groups.set(r.benchmark.id, [...(groups.get(r.benchmark.id) ?? []), r]);
  const apiBase = `/api/models/${row.namespace}/${row.name}/evals`;
  const body = results.length === 0
    ? html`<p class="empty">No evaluation results yet. Add <code>model-index</code> to the card, <code>.eval_results/*.yaml</code> files to the repo, or post per-sample results to <code>${apiBase}</code> (see the documentation on evaluations).</p>`
    : html`${[...groups.values()].map((rs) => html`<section class="eval-benchmark">
        <h3>${benchmarkTitle(rs[0]!)}</h3>
        <table class="data eval-results"><thead><tr><th>Metric</th><th>Value</th><th>n</th><th>Source</th><th>Kind</th><th>Flags</th><th>Revision</th><th>Producer</th></tr></thead>
        <tbody>${rs.map((r) => html`<tr data-result="${r.id}">
          <td>${r.metric ?? html`<span class="muted" title="task">${r.benchmark.task ?? '—'}</span>`}</td>
          <td class="num">${formatValue(r.value)}</td>
          <td class="num">${r.n === null ? '—' : r.hasSamples ? html`<a href="${apiBase}/${r.id}?format=jsonl" title="Per-sample scores (JSONL)">${String(r.n)}</a>` : String(r.n)}</td>
          <td>${sourceLabel(r)}${r.sourceUrl && /^https?:\/\//i.test(r.sourceUrl) ? html` <a href="${r.sourceUrl}" rel="noopener noreferrer nofollow" class="small">source</a>` : ''}</td>
          <td>${badges(r)}</td>
          <td>${flags(r)}</td>
          <td><a href="${base}/commit/${r.modelRevision}"><code>${r.modelRevision.slice(0, 7)}</code></a></td>
          <td>${r.producer.isUser ? html`<a href="/${encodeURIComponent(r.producer.name)}">${r.producer.name}</a>` : r.producer.name}</td>
        </tr>`)}</tbody></table></section>`)}`;
  // Writers flag results (contaminated, unverified) through the API from evals.js.
  const flagForm = results.length && can(page.actor, 'write', accessInfo(row))
    ? html`<section class="eval-flag-form"><h3>Flag a result</h3>${needsJs('Flagging')}
      <form id="eval-flag" data-api="${apiBase}"><fieldset data-needs-js disabled>
        <label>Result <select name="result" id="eval-flag-result">${results.map((r) => html`<option value="${r.id}">${r.benchmark.id} · ${r.metric ?? ''} · ${formatValue(r.value)} · ${r.source}</option>`)}</select></label>
        <label><input type="checkbox" name="contaminated"> contaminated</label>
        <label><input type="checkbox" name="unverified"> unverified</label>
        <label>Note <input type="text" name="note" id="eval-flag-note" maxlength="2000"></label>
        <button type="submit">Save flags</button>${formStatus()}
      </fieldset></form></section>${clientScript('evals')}`
    : '';
  const main = html`${repoHeader(page.actor, row, 'evals', tags)}
    <h2>Evaluation results</h2>
    <p class="small muted">Results from the card's <code>model-index</code> and <code>.eval_results/</code> files are self-reported by the model's authors; results posted with per-sample scores by others are marked reproduced.</p>
    ${body}${flagForm}`;
  return layout(page, `Evaluations · ${row.namespace}/${row.name}`, main, { description: `Evaluation results of ${row.namespace}/${row.name}` });
}

/**
 * The card page's "Evaluation results" box: one line per benchmark and
 * metric (the newest result), and a link to the Evaluations tab.
 */
export async function evalsSummary(hub: Hub, actor: PageContext['actor'], row: RepoRow): Promise<SafeHtml> {
  const results = await listResults(hub, actor, row);
  if (results.length === 0) return html``;
  const seen = new Set<string>();
  const lines: PresentedResult[] = [];
  for (const r of results) {
    const key = JSON.stringify([r.benchmark.id, r.metric]);
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(r);
  }
  const shown = lines.slice(0, 8);
  return html`<section class="eval-summary"><h2 class="small muted" style="margin:0 0 6px">Evaluation results</h2>
    <table class="data"><tr><th>Benchmark</th><th>Metric</th><th>Value</th></tr>${shown.map((r) => html`<tr>
      <td>${r.benchmark.onHub ? html`<a href="${datasetPath(r.benchmark.id)}">${r.benchmark.name ?? r.benchmark.id}</a>` : r.benchmark.name ?? r.benchmark.id}</td>
      <td>${r.metric ?? r.benchmark.task ?? ''}</td>
      <td class="num">${formatValue(r.value)}${r.reproduced ? html` <span class="pill eval-reproduced">reproduced</span>` : ''}${r.flags.contaminated ? html` <span class="pill eval-flag">contaminated</span>` : ''}</td></tr>`)}</table>
    <a class="small" href="${repoBase(row)}/evals">All ${String(results.length)} evaluation result${results.length === 1 ? '' : 's'} →</a></section>`;
}
