import type { LeaderboardDefinition, LeaderboardRow, LeaderboardTable, ModelView } from '../../services/leaderboards.js';
import { MAX_DESCRIPTION, MAX_TITLE } from '../../services/leaderboards.js';
import { clientScript, formStatus, needsJs } from '../forms.js';
import { html, type SafeHtml, timeAgo } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { renderMarkdown } from '../markdown.js';
import { writableNamespaces } from './collections.js';

/** A number for a table cell: 3 significant digits, or plain for integers. */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(2) : v.toPrecision(3);
}

/** "2–4", or "2" when the interval is a single rank. */
export function rankText(lo: number | null, hi: number | null): string {
  if (lo === null || hi === null) return '—';
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

function newLeaderboardForm(namespaces: string[], preferred: string | undefined): SafeHtml {
  if (namespaces.length === 0) return html``;
  const chosen = namespaces.find((n) => n.toLowerCase() === preferred?.toLowerCase()) ?? namespaces[0];
  return html`<details class="new-leaderboard"><summary>New leaderboard</summary>
    <form class="stack" id="new-leaderboard-form">
      ${needsJs('Creating a leaderboard')}
      <fieldset data-needs-js disabled>
        <div class="row">
          <div><label for="nl-namespace">Owner</label><select id="nl-namespace" name="namespace">${namespaces.map((n) => html`<option value="${n}" ${n === chosen ? html`selected` : ''}>${n}</option>`)}</select></div>
          <div><label for="nl-slug">Slug</label><input id="nl-slug" name="slug" type="text" required maxlength="64"></div>
          <div class="grow"><label for="nl-title">Title</label><input id="nl-title" name="title" type="text" required maxlength="${String(MAX_TITLE)}"></div>
        </div>
        <div><label for="nl-description">Description <span class="muted">(optional, Markdown)</span></label><textarea id="nl-description" name="description" rows="2" maxlength="${String(MAX_DESCRIPTION)}"></textarea></div>
        <div><label for="nl-benchmarks">Benchmarks <span class="muted">(dataset ids with an eval.yaml, one per line; <code>id weight</code> for a weight)</span></label><textarea id="nl-benchmarks" name="benchmarks" rows="3" required></textarea></div>
        <div><label for="nl-models">Models <span class="muted">(optional: model ids, one per line)</span></label><textarea id="nl-models" name="models" rows="2"></textarea></div>
        <label><input type="checkbox" name="all" value="1" checked> Every model with results on these benchmarks</label>
        <div class="row">
          <div><label for="nl-family">Family <span class="muted">(optional: a model and its descendants)</span></label><input id="nl-family" name="family" type="text"></div>
          <div><label for="nl-results">Results</label><select id="nl-results" name="results"><option value="both">self-reported and reproduced</option><option value="self-reported">self-reported only</option><option value="reproduced">reproduced only</option></select></div>
          <div class="grow"><label for="nl-objectives">Pareto objectives <span class="muted">(comma-separated: aggregate, cost, latency, benchmark ids)</span></label><input id="nl-objectives" name="objectives" type="text" value="aggregate, cost, latency"></div>
        </div>
        <label><input type="checkbox" name="private" value="1"> Private: only members of the owner see it</label>
        ${formStatus()}
        <button type="submit" class="primary">Create leaderboard</button>
      </fieldset>
    </form></details>`;
}

/** `/leaderboards` and `/leaderboards/{ns}`. */
export function leaderboardsListPage(page: PageContext, rows: LeaderboardRow[], owner: string | undefined): string {
  const namespaces = writableNamespaces(page.actor);
  const canAdd = owner ? namespaces.some((n) => n.toLowerCase() === owner.toLowerCase()) : namespaces.length > 0;
  const title = owner ? `Leaderboards of ${owner}` : 'Leaderboards';
  const body = html`<h1>${title}</h1>
    <p class="muted">Models compared over chosen benchmarks, with confidence intervals, rank intervals and a Pareto view.${owner ? html` <a href="/leaderboards">All leaderboards</a>` : ''}</p>
    ${canAdd ? newLeaderboardForm(owner ? [owner] : namespaces, owner) : ''}
    ${rows.length
      ? html`<ul class="cards leaderboard-cards">${rows.map((r) => html`<li><a class="name" href="/leaderboards/${r.namespace}/${r.slug}">${r.title}</a>
          ${r.private ? html`<span class="pill private">private</span>` : ''}
          <div class="small muted">${r.namespace}/${r.slug} · updated ${timeAgo(r.updated_at)}</div></li>`)}</ul>`
      : html`<p class="empty">No leaderboards yet.</p>`}
    ${canAdd ? clientScript('leaderboard-new') : ''}`;
  return layout(page, title, body);
}

function flagBadges(c: NonNullable<ModelView['cells'][string]>): SafeHtml {
  return html`${c.flags.contaminated ? html`<span class="pill flag-contaminated" title="Flagged as contaminated">contaminated</span>` : ''}${c.flags.unverified ? html`<span class="pill flag-unverified" title="Flagged as unverified">unverified</span>` : ''}${c.flags.selfReported ? html`<span class="pill flag-self" title="Reported by the model's authors">self-reported</span>` : ''}`;
}

interface ChartPoint {
  id: string;
  x: number;
  y: number;
  z: number | null;
  front: boolean;
}

/** The Pareto chart as inline SVG: every model with all objectives, the non-dominated ones marked and joined as the front. */
export function paretoSvg(table: LeaderboardTable): SafeHtml {
  const p = table.pareto!;
  const [ox, oy, oz] = p.objectives;
  const value = (m: ModelView, name: string): number | null => {
    if (name === 'aggregate') return m.aggregate.score;
    if (name === 'cost') return m.cost;
    if (name === 'latency') return m.latency;
    return m.cells[name]?.mean ?? null;
  };
  const front = new Set(p.front);
  const pts: ChartPoint[] = [];
  for (const m of table.models) {
    if (m.pareto === null) continue;
    pts.push({ id: m.id, x: value(m, ox!.name)!, y: value(m, oy!.name)!, z: oz ? value(m, oz.name) : null, front: front.has(m.id) });
  }
  const W = 720, H = 400, L = 70, R = 120, T = 20, B = 50;
  const span = (vs: number[]): [number, number] => {
    let lo = Math.min(...vs), hi = Math.max(...vs);
    if (lo === hi) {
      lo -= 0.5;
      hi += 0.5;
    }
    const pad = (hi - lo) * 0.05;
    return [lo - pad, hi + pad];
  };
  const [x0, x1] = pts.length ? span(pts.map((q) => q.x)) : [0, 1];
  const [y0, y1] = pts.length ? span(pts.map((q) => q.y)) : [0, 1];
  const zs = pts.map((q) => q.z).filter((z): z is number => z !== null);
  const [z0, z1] = zs.length ? [Math.min(...zs), Math.max(...zs)] : [0, 0];
  const sx = (v: number): number => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const sy = (v: number): number => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
  const radius = (z: number | null): number => (z === null || z1 === z0 ? 6 : 4 + (8 * (z - z0)) / (z1 - z0));
  const frontPts = pts.filter((q) => q.front).sort((a, b) => a.x - b.x || a.y - b.y);
  const ticks = (a: number, b: number): number[] => [0, 0.25, 0.5, 0.75, 1].map((t) => a + t * (b - a));
  const dir = (o: { name: string; direction: string }): string => `${o.name} (${o.direction === 'max' ? 'higher is better' : 'lower is better'})`;
  const desc = `Scatter of ${pts.length} models: x is ${dir(ox!)}, y is ${dir(oy!)}${oz ? `, point size is ${dir(oz)}` : ''}. Non-dominated models (${p.front.join(', ') || 'none'}) are filled and joined by a line.`;
  return html`<svg class="pareto-chart" viewBox="0 0 ${String(W)} ${String(H)}" role="img" aria-labelledby="pareto-title pareto-desc" xmlns="http://www.w3.org/2000/svg">
    <title id="pareto-title">Pareto front: ${ox!.name} × ${oy!.name}${oz ? ` × ${oz.name}` : ''}</title>
    <desc id="pareto-desc">${desc}</desc>
    <line class="axis" x1="${String(L)}" y1="${String(H - B)}" x2="${String(W - R)}" y2="${String(H - B)}"/>
    <line class="axis" x1="${String(L)}" y1="${String(T)}" x2="${String(L)}" y2="${String(H - B)}"/>
    ${ticks(x0, x1).map((v) => html`<text class="tick" x="${sx(v).toFixed(1)}" y="${String(H - B + 16)}" text-anchor="middle">${fmt(v)}</text>`)}
    ${ticks(y0, y1).map((v) => html`<text class="tick" x="${String(L - 6)}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`)}
    <text class="axis-label" x="${String((L + W - R) / 2)}" y="${String(H - 10)}" text-anchor="middle">${dir(ox!)}</text>
    <text class="axis-label" x="14" y="${String((T + H - B) / 2)}" text-anchor="middle" transform="rotate(-90 14 ${String((T + H - B) / 2)})">${dir(oy!)}</text>
    ${frontPts.length > 1 ? html`<polyline class="front-line" points="${frontPts.map((q) => `${sx(q.x).toFixed(1)},${sy(q.y).toFixed(1)}`).join(' ')}"/>` : ''}
    ${pts.map((q) => html`<g class="${q.front ? 'point front' : 'point dominated'}" data-model="${q.id}" data-front="${q.front ? '1' : '0'}"><title>${q.id}: ${ox!.name} ${fmt(q.x)}, ${oy!.name} ${fmt(q.y)}${oz ? `, ${oz.name} ${fmt(q.z)}` : ''}${q.front ? ' (non-dominated)' : ' (dominated)'}</title><circle cx="${sx(q.x).toFixed(1)}" cy="${sy(q.y).toFixed(1)}" r="${radius(q.z).toFixed(1)}"/><text x="${(sx(q.x) + radius(q.z) + 3).toFixed(1)}" y="${(sy(q.y) - 4).toFixed(1)}">${q.id}</text></g>`)}
  </svg>`;
}

function objectiveLabel(o: string): string {
  return o === 'aggregate' ? 'aggregate' : o === 'cost' ? 'cost ($ per sample)' : o === 'latency' ? 'latency (ms per sample)' : o;
}

/** `/leaderboards/{ns}/{slug}`. */
export function leaderboardPage(page: PageContext, row: LeaderboardRow, def: LeaderboardDefinition, table: LeaderboardTable, sort: string, canEdit: boolean): string {
  const base = `/leaderboards/${row.namespace}/${row.slug}`;
  const models = [...table.models];
  if (sort !== 'aggregate') {
    const b = table.benchmarks.find((x) => x.id === sort);
    if (b) models.sort((m, n) => (m.cells[b.id]?.rank ?? Infinity) - (n.cells[b.id]?.rank ?? Infinity) || (m.id < n.id ? -1 : 1));
  }
  const chosen = table.pareto?.objectives.map((o) => o.name) ?? [];
  const methods = new Set<string>();
  for (const m of table.models) for (const c of Object.values(m.cells)) if (c) methods.add(c.label);
  const sortLink = (key: string, label: SafeHtml | string): SafeHtml =>
    sort === key ? html`<span aria-sort="descending">${label} ▾</span>` : html`<a href="${base}?sort=${encodeURIComponent(key)}">${label}</a>`;
  const objectiveSelect = (name: string, i: number, optional: boolean): SafeHtml => html`<div><label for="${name}">Objective ${String(i + 1)}${optional ? ' (point size, optional)' : ''}</label>
    <select id="${name}" name="pareto">${optional ? html`<option value="">—</option>` : ''}${table.objectives.map((o) => html`<option value="${o}" ${chosen[i] === o ? html`selected` : ''}>${objectiveLabel(o)}</option>`)}</select></div>`;
  const body = html`<h1>${row.title} ${row.private ? html`<span class="pill private">private</span>` : ''}</h1>
    <p class="small muted">Leaderboard by <a href="/leaderboards/${row.namespace}">${row.namespace}</a> · ${table.models.length} models · ${table.benchmarks.length} benchmarks · ${def.results === 'both' ? 'self-reported and reproduced results' : `${def.results} results only`}${table.family ? html` · family of <a href="/${table.family}">${table.family}</a> (<a href="${base}">all models</a>)` : ''} · <a href="/api/leaderboards/${row.namespace}/${row.slug}/results">JSON</a></p>
    ${row.description ? html`<div class="markdown">${renderMarkdown(row.description)}</div>` : ''}
    <form class="leaderboard-controls row" method="get" action="${base}">
      ${table.objectives.length >= 2 ? html`${objectiveSelect('lb-obj1', 0, false)}${objectiveSelect('lb-obj2', 1, false)}${objectiveSelect('lb-obj3', 2, true)}` : ''}
      <div><label for="lb-family">Family (model id)</label><input id="lb-family" name="family" type="text" value="${table.family ?? ''}"></div>
      <div><label for="lb-seed">Seed</label><input id="lb-seed" name="seed" type="number" min="0" value="${String(table.seed)}"></div>
      <div><button type="submit">Show</button></div>
    </form>
    <div class="table-scroll"><table class="leaderboard" id="leaderboard-table">
      <caption>Each cell: mean [${Math.round(table.level * 100)}% interval], then the rank interval (<a href="#methods">how these are computed</a>). Sorted by ${sort === 'aggregate' ? 'aggregate rank' : `rank on ${sort}`}.</caption>
      <thead><tr><th scope="col">Model</th><th scope="col">${sortLink('aggregate', 'Aggregate')}</th>${table.benchmarks.map((b) => html`<th scope="col">${sortLink(b.id, b.name ?? b.id)}<div class="small muted">${b.id}${b.weight !== 1 ? ` · weight ${b.weight}` : ''} · ${b.higherIsBetter ? '↑' : '↓'}</div></th>`)}<th scope="col">Cost</th><th scope="col">Latency</th></tr></thead>
      <tbody>${models.map((m) => html`<tr data-model="${m.id}">
        <th scope="row"><a href="/${m.id}">${m.id}</a>${m.pareto ? html` <span class="pill pareto-front" title="Non-dominated on the chosen objectives">Pareto</span>` : ''}</th>
        <td class="agg">${m.aggregate.score === null ? html`<span class="muted" title="${m.aggregate.missing.length ? `missing: ${m.aggregate.missing.join(', ')}` : ''}">—</span>` : html`<span class="interval">${fmt(m.aggregate.score)} [${fmt(m.aggregate.lo)}, ${fmt(m.aggregate.hi)}]</span><div class="rank">rank ${rankText(m.aggregate.rankLo, m.aggregate.rankHi)}</div>`}</td>
        ${table.benchmarks.map((b) => {
          const c = m.cells[b.id];
          if (!c || c.mean === null) return html`<td class="muted">not evaluated</td>`;
          return html`<td><span class="interval" title="${c.label}">${fmt(c.mean)}${c.lo !== null ? ` [${fmt(c.lo)}, ${fmt(c.hi)}]` : ''}</span>${c.n !== null ? html` <span class="small muted">n=${String(c.n)}</span>` : ''}<div class="rank">rank ${rankText(c.rankLo, c.rankHi)}</div>${flagBadges(c)}</td>`;
        })}
        <td>${fmt(m.cost)}</td><td>${fmt(m.latency)}</td></tr>`)}</tbody>
    </table></div>
    <section class="pareto" aria-labelledby="pareto-heading"><h2 id="pareto-heading">Pareto view</h2>
    ${table.pareto
      ? html`<p class="small muted">A model is non-dominated when no other model is at least as good on every chosen objective and better on one. Models missing an objective are left out${table.pareto.excluded.length ? ` (${table.pareto.excluded.map((e) => e.id).join(', ')})` : ''}.</p>
        ${paretoSvg(table)}
        <table class="pareto-table"><caption>The chart as a table</caption><thead><tr><th scope="col">Model</th>${table.pareto.objectives.map((o) => html`<th scope="col">${objectiveLabel(o.name)} (${o.direction})</th>`)}<th scope="col">Non-dominated</th></tr></thead>
        <tbody>${table.models.filter((m) => m.pareto !== null).map((m) => html`<tr><th scope="row">${m.id}</th>${table.pareto!.objectives.map((o) => html`<td>${fmt(o.name === 'aggregate' ? m.aggregate.score : o.name === 'cost' ? m.cost : o.name === 'latency' ? m.latency : m.cells[o.name]?.mean)}</td>`)}<td>${m.pareto ? 'yes' : 'no'}</td></tr>`)}</tbody></table>`
      : html`<p class="empty">This leaderboard offers fewer than two objectives visible to you.</p>`}
    </section>
    <section class="methods" id="methods" aria-labelledby="methods-heading"><h2 id="methods-heading">How these numbers are computed</h2>
      <ul>
        ${[...methods].sort().map((l) => html`<li><strong>Intervals:</strong> ${l}</li>`)}
        ${[...new Set(table.benchmarks.map((b) => b.rankLabel))].map((l) => html`<li><strong>Ranks:</strong> ${l}</li>`)}
        <li><strong>Aggregate:</strong> ${table.aggregateLabel}</li>
      </ul>
      <dl class="small">
        <dt>Wilson</dt><dd>For 0/1 scores: the Wilson score interval for a proportion, which stays inside [0, 1] and behaves at small n and near 0 or 1.</dd>
        <dt>Percentile bootstrap</dt><dd>Other scores: the samples are resampled with replacement ${String(table.B)} times (the same resample for every model, "paired"; seed ${String(table.seed)}); the interval is the ${((1 - table.level) / 2 * 100).toFixed(1)}% and ${((1 + table.level) / 2 * 100).toFixed(1)}% quantiles of the resampled means.</dd>
        <dt>Rank interval</dt><dd>The range of ranks a model takes across the paired bootstrap resamples (central ${Math.round(table.level * 100)}%): "2–4" means the data cannot tell it from models ranked 2 to 4.</dd>
        <dt>Flags</dt><dd><em>contaminated</em> and <em>unverified</em> are set by the model's maintainers on a result; <em>self-reported</em> results come from the model's own authors, the others were reproduced by someone else.</dd>
      </dl>
      <p class="small muted">${canEdit ? 'You can change this leaderboard through the API (PATCH). ' : ''}Computed ${table.cache === 'hit' ? 'earlier (cached until the data changes)' : 'for this request'}.</p>
    </section>`;
  return layout(page, row.title, body, { description: `Leaderboard ${row.namespace}/${row.slug}` });
}
