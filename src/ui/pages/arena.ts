import type { Rating } from '../../evals/stats/bradley-terry.js';
import type { ArenaLeaderboard, ArenaRow } from '../../services/arena.js';
import { clientScript, formStatus, needsJs } from '../forms.js';
import { html, type SafeHtml, timeAgo } from '../html.js';
import { layout, type PageContext } from '../layout.js';

const nameOf = (row: ArenaRow): string => `${row.namespace}/${row.slug}`;

function arenaHeader(row: ArenaRow, current: 'vote' | 'leaderboard'): SafeHtml {
  const name = nameOf(row);
  return html`<h1>${row.title} ${row.private ? html`<span class="pill private">private</span>` : ''}</h1>
    <p class="muted small">Arena <strong>${name}</strong> · ${String(row.prompts)} prompts, ${row.live ? 'answered live by the models\' endpoints' : `${row.models} models`}, from
      <a href="/datasets/${row.dataset}/blob/${row.commit_sha}/${row.file}">${row.dataset}/${row.file}</a> at <code>${row.commit_sha.slice(0, 7)}</code></p>
    <nav class="tabs arena-tabs" aria-label="Arena">
      <a href="/arena/${name}" ${current === 'vote' ? html`aria-current="page"` : ''}>Vote</a>
      <a href="/arena/${name}/leaderboard" ${current === 'leaderboard' ? html`aria-current="page"` : ''}>Leaderboard</a>
    </nav>`;
}

/** `/arena`: the arenas the viewer may see. */
export function arenaListPage(page: PageContext, rows: ArenaRow[]): string {
  const body = html`<h1>Arenas</h1>
    <p class="muted">Compare the answers of two hidden models to the same prompt and vote for the better one; the votes become Bradley–Terry ratings.
      Arenas are created through the API (<code>POST /api/arena</code>, see the documentation) over a dataset holding <code>battles.jsonl</code>.</p>
    ${rows.length
      ? html`<ul class="cards arena-cards">${rows.map(
          (r) => html`<li><a class="name" href="/arena/${nameOf(r)}">${r.title}</a> ${r.private ? html`<span class="pill private">private</span>` : ''}
            <div class="small muted">${nameOf(r)} · ${String(r.prompts)} prompts · ${String(r.models)} models · created ${timeAgo(r.created_at)}</div></li>`,
        )}</ul>`
      : html`<p class="empty">No arenas yet.</p>`}`;
  return layout(page, 'Arenas', body);
}

/** `/arena/{ns}/{slug}`: one battle at a time, dealt and voted through the JSON API by the arena script. */
export function arenaVotePage(page: PageContext, row: ArenaRow): string {
  const name = nameOf(row);
  const signedIn = page.actor.kind === 'user';
  const body = html`${arenaHeader(row, 'vote')}
    ${signedIn
      ? html`<section id="arena" class="arena" data-api="/api/arena/${name}">
          ${needsJs('Voting')}
          <div class="arena-prompt" id="arena-prompt" aria-live="polite"><p class="muted">Dealing a battle…</p></div>
          <div class="arena-answers">
            <article class="arena-answer" aria-labelledby="arena-a-title"><h2 id="arena-a-title">Model A <span class="arena-reveal" id="arena-reveal-a"></span></h2><div class="markdown" id="arena-a"></div></article>
            <article class="arena-answer" aria-labelledby="arena-b-title"><h2 id="arena-b-title">Model B <span class="arena-reveal" id="arena-reveal-b"></span></h2><div class="markdown" id="arena-b"></div></article>
          </div>
          <fieldset class="arena-votes" id="arena-votes" data-needs-js disabled>
            <legend>Which answer is better?</legend>
            <button type="button" data-winner="a" aria-keyshortcuts="1">A is better <kbd>1</kbd></button>
            <button type="button" data-winner="b" aria-keyshortcuts="2">B is better <kbd>2</kbd></button>
            <button type="button" data-winner="tie" aria-keyshortcuts="3">Tie <kbd>3</kbd></button>
            <button type="button" data-winner="both_bad" aria-keyshortcuts="4">Both are bad <kbd>4</kbd></button>
          </fieldset>
          <p class="arena-consent"><label><input type="checkbox" id="arena-consent"> Publish my votes: the arena's owners may publish a vote where one answer won in a dataset (the prompt and both answers, redacted, without my name)</label></p>
          <div class="arena-after" id="arena-after" hidden>
            <p id="arena-result" role="status"></p>
            <button type="button" class="primary" id="arena-next" aria-keyshortcuts="n">Next battle <kbd>N</kbd></button>
          </div>
          ${formStatus('arena-status')}
        </section>
        ${clientScript('arena')}`
      : html`<p class="notice"><a href="/login?next=${encodeURIComponent(`/arena/${name}`)}">Sign in</a> to vote in this arena. The <a href="/arena/${name}/leaderboard">leaderboard</a> is open to every visitor who can see the arena.</p>`}`;
  return layout(page, `${row.title} · Arena`, body);
}

function fmt(v: number | null): string {
  return v === null ? '–' : v.toFixed(0);
}

function ratingRows(ratings: Rating[], plain: Map<string, Rating> | null): SafeHtml[] {
  return ratings.map(
    (r) => html`<tr>
      <td>${String(r.rank)}${r.rankLo !== null ? html` <span class="rank">(${String(r.rankLo)}–${String(r.rankHi)})</span>` : ''}</td>
      <td><a href="/${r.model}">${r.model}</a></td>
      <td class="num">${fmt(r.rating)}</td>
      <td class="interval">${r.lo === null ? '–' : `${fmt(r.lo)} – ${fmt(r.hi)}`}</td>
      ${plain ? html`<td class="num">${fmt(plain.get(r.model)?.rating ?? null)}</td>` : ''}
      <td class="num">${String(r.battles)}</td>
    </tr>`,
  );
}

/** `/arena/{ns}/{slug}/leaderboard`: ratings with intervals, with or without style control. */
export function arenaLeaderboardPage(page: PageContext, row: ArenaRow, board: ArenaLeaderboard): string {
  const name = nameOf(row);
  const fit = board.fit;
  const shown = board.style && fit?.styleControlled ? fit.styleControlled : fit?.plain;
  const plain = board.style && fit ? new Map(fit.plain.ratings.map((r) => [r.model, r])) : null;
  const body = html`${arenaHeader(row, 'leaderboard')}
    <p class="arena-style-toggle">
      ${board.style
        ? html`Style control is <strong>on</strong> (answer length and Markdown held equal). <a href="/arena/${name}/leaderboard" id="style-toggle">Show plain ratings</a>`
        : html`Style control is <strong>off</strong>. <a href="/arena/${name}/leaderboard?style=1" id="style-toggle">Control for answer length and Markdown style</a>`}
    </p>
    ${shown
      ? html`<div class="table-scroll"><table class="arena-ratings" id="arena-ratings">
          <caption>${String(board.votes)} votes · ratings on the Elo scale (mean 1000) · 95% bootstrap intervals (${String(board.bootstrap)} resamples, seed ${String(board.seed)}) · no voter above ${`${(board.voterCap * 100).toFixed(0)}%`} of the weight${fit!.cappedVoters.length ? ` (${fit!.cappedVoters.length} voter${fit!.cappedVoters.length === 1 ? '' : 's'} capped)` : ''}</caption>
          <thead><tr><th scope="col">Rank (interval)</th><th scope="col">Model</th><th scope="col">Rating</th><th scope="col">95% interval</th>${plain ? html`<th scope="col">Without style control</th>` : ''}<th scope="col">Votes</th></tr></thead>
          <tbody>${ratingRows(shown.ratings, plain)}</tbody>
        </table></div>
        ${board.style && fit?.styleControlled?.coefficients.length
          ? html`<p class="small muted">Style coefficients (logit per standardised difference): ${fit.styleControlled.coefficients.map((c) => `${c.feature} ${c.value.toFixed(2)}`).join(', ')}.</p>`
          : ''}
        <p class="small muted">${fit!.label}.</p>`
      : html`<p class="empty">No votes yet. <a href="/arena/${name}">Be the first to vote.</a></p>`}`;
  return layout(page, `${row.title} · Arena leaderboard`, body);
}
