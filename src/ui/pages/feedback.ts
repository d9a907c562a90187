import { canDiscuss } from '../../auth/policy.js';
import { exportsOf, FEEDBACK_PAGE_SIZE, type FeedbackQuery, type FeedbackRow, feedbackJson, isFeedbackWriter, listFeedback } from '../../services/feedback.js';
import { FEEDBACK_CATEGORIES, FEEDBACK_LIMITS } from '../../services/feedback-schema.js';
import type { Hub } from '../../services/hub.js';
import { tagsOf } from '../../services/listing.js';
import { accessInfo, type RepoRow } from '../../services/repos.js';
import { clientScript, formStatus, needsJs, repoData } from '../forms.js';
import { html, type SafeHtml, timeAgo } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { repoBase, repoHeader } from './repo.js';

const RATINGS: [string, string][] = [
  ['5', '5 — excellent'], ['4', '4 — good'], ['3', '3 — so-so'], ['2', '2 — poor'], ['1', '1 — bad'], ['up', '👍 thumbs up'], ['down', '👎 thumbs down'],
];

interface Shown {
  id: string;
  prompt: { role: string; content: string }[];
  response: string;
  rating: number | string;
  categories: string[];
  correction: string | null;
  note: string | null;
  consent: { publish: boolean; at: string };
  status: string;
  /** writers only */
  labels?: string[];
  author: { name: string };
  createdAt: string;
  modelRevision: string;
  exports: { dataset: string; commit: string | null }[];
  redacted?: { prompt: { role: string; content: string }[]; response: string; correction: string | null; counts: Record<string, number> };
}

function form(row: RepoRow): SafeHtml {
  return html`<form class="stack settings-section" id="feedback-form">
    <h3>Send feedback on an answer</h3>
    ${needsJs('Sending feedback')}
    <fieldset data-needs-js disabled>
      <div><label for="fb-prompt">Prompt</label><textarea id="fb-prompt" name="prompt" rows="3" required maxlength="${String(FEEDBACK_LIMITS.text)}" placeholder="What you asked the model"></textarea></div>
      <div><label for="fb-response">The model's response</label><textarea id="fb-response" name="response" rows="4" required maxlength="${String(FEEDBACK_LIMITS.text)}"></textarea></div>
      <div><label for="fb-rating">Rating</label><select id="fb-rating" name="rating">${RATINGS.map(([v, l]) => html`<option value="${v}">${l}</option>`)}</select></div>
      <fieldset class="choices"><legend>What was wrong? <span class="small muted">(optional)</span></legend>
        <div class="feedback-categories">${FEEDBACK_CATEGORIES.map((c) => html`<label class="choice"><input type="checkbox" name="categories" value="${c}"> ${c}</label>`)}</div>
      </fieldset>
      <div><label for="fb-correction">A better response <span class="small muted">(optional)</span></label><textarea id="fb-correction" name="correction" rows="4" maxlength="${String(FEEDBACK_LIMITS.text)}" placeholder="What the model should have answered"></textarea></div>
      <div><label for="fb-revision">Model revision</label><input id="fb-revision" name="modelRevision" type="text" value="${row.default_branch}" spellcheck="false" autocapitalize="none">
        <p class="small muted">The branch, tag or commit that answered; it is stored as the exact commit.</p></div>
      <div><label for="fb-note">Note to the owners <span class="small muted">(optional, never published)</span></label><textarea id="fb-note" name="note" rows="2" maxlength="${String(FEEDBACK_LIMITS.note)}"></textarea></div>
      <label class="choice"><input type="checkbox" id="fb-consent" name="consent"> I agree that this feedback may be published.</label>
      <p class="small muted" id="fb-consent-help">If you tick this and the owners of ${row.namespace}/${row.name} accept your feedback, the prompt, the response and your
        correction may be published in a dataset (for training and evaluating models), with obvious personal data (e-mail addresses,
        phone numbers, keys and tokens, IP addresses, card numbers) removed — your user name is not included. Without it, only the owners
        of this model see your feedback. You can delete it while it has not been reviewed.</p>
      ${formStatus('feedback-form-status')}
      <p><button type="submit" class="primary">Send feedback</button></p>
    </fieldset>
  </form>`;
}

function messages(list: { role: string; content: string }[]): SafeHtml {
  return html`${list.map((m) => html`<div class="feedback-msg"><span class="muted small">${m.role}</span><pre>${m.content}</pre></div>`)}`;
}

function item(f: Shown, writer: boolean): SafeHtml {
  const redacted = f.redacted;
  const counts = redacted ? Object.entries(redacted.counts) : [];
  return html`<li class="feedback-item" data-feedback="${f.id}" data-status="${f.status}">
    <div><span class="pill feedback-${f.status}">${f.status}</span>
      <strong>rating ${String(f.rating)}</strong> · by <a href="/${f.author.name}">${f.author.name}</a> · ${timeAgo(f.createdAt)}
      · <span class="small muted">revision <code>${f.modelRevision.slice(0, 10)}</code></span>
      ${f.consent.publish ? html` · <span class="pill">may be published</span>` : html` · <span class="pill private">private</span>`}
      ${f.categories.map((c) => html`<span class="pill">${c}</span>`)}
      ${(f.labels ?? []).map((l) => html`<a class="pill feedback-label" href="?label=${encodeURIComponent(l)}">#${l}</a>`)}</div>
    <div class="feedback-texts">
      <div><h4>Prompt</h4>${messages(f.prompt)}</div>
      <div><h4>Response</h4><pre>${f.response}</pre></div>
      ${f.correction !== null ? html`<div><h4>Correction</h4><pre>${f.correction}</pre></div>` : ''}
    </div>
    ${f.note ? html`<p class="small">Note: ${f.note}</p>` : ''}
    ${f.exports.length ? html`<p class="small muted">Exported to ${f.exports.map((e) => html`<a href="/datasets/${e.dataset}">${e.dataset}</a>${e.commit ? html` (<code>${e.commit.slice(0, 7)}</code>)` : ''} `)}</p>` : ''}
    ${redacted ? html`<details class="feedback-preview"><summary>What an export publishes${counts.length ? html` (redacted: ${counts.map(([k, n]) => `${n} ${k}`).join(', ')})` : ' (nothing to redact)'}</summary>
      <div class="feedback-texts"><div><h4>Prompt</h4>${messages(redacted.prompt)}</div><div><h4>Response</h4><pre data-redacted-response>${redacted.response}</pre></div>
      ${redacted.correction !== null ? html`<div><h4>Correction</h4><pre data-redacted-correction>${redacted.correction}</pre></div>` : ''}</div></details>` : ''}
    ${writer ? html`<div class="row feedback-actions">
        ${f.status !== 'accepted' ? html`<button type="button" class="primary" data-triage="accepted" aria-label="Accept feedback ${f.id}">Accept</button>` : ''}
        ${f.status !== 'rejected' ? html`<button type="button" class="danger" data-triage="rejected" aria-label="Reject feedback ${f.id}">Reject</button>` : ''}
        <input type="text" name="labels" value="${(f.labels ?? []).join(', ')}" placeholder="labels, comma-separated" aria-label="Labels of feedback ${f.id}">
        <button type="button" data-save-labels>Save labels</button>
        <button type="button" class="linklike" data-delete>Delete</button>
      </div>` : f.status === 'new' ? html`<div class="row"><button type="button" class="linklike" data-delete>Delete</button></div>` : ''}
  </li>`;
}

function filters(q: FeedbackQuery, writer: boolean): SafeHtml {
  return html`<form class="row feedback-filters" method="get" aria-label="Filter feedback">
    <label for="fb-filter-status">Status</label>
    <select id="fb-filter-status" name="status">
      <option value="">all</option>
      ${(['new', 'accepted', 'rejected'] as const).map((s) => html`<option value="${s}" ${q.status === s ? html`selected` : ''}>${s}</option>`)}
    </select>
    ${writer ? html`<label for="fb-filter-label">Label</label><input id="fb-filter-label" name="label" type="text" value="${q.label ?? ''}" size="12">` : ''}
    <button type="submit">Filter</button>
  </form>`;
}

function pager(base: string, q: FeedbackQuery, total: number): SafeHtml {
  const pages = Math.ceil(total / FEEDBACK_PAGE_SIZE);
  if (pages <= 1) return html``;
  const link = (p: number): string => {
    const params = new URLSearchParams();
    if (q.status) params.set('status', q.status);
    if (q.label) params.set('label', q.label);
    params.set('p', String(p));
    return `${base}/feedback?${params.toString()}`;
  };
  return html`<nav class="row" aria-label="Pages">${q.page > 0 ? html`<a href="${link(q.page - 1)}">← Newer</a>` : ''}
    <span class="muted small">page ${String(q.page + 1)} of ${String(pages)}</span>${q.page + 1 < pages ? html`<a href="${link(q.page + 1)}">Older →</a>` : ''}</nav>`;
}

async function exportSection(hub: Hub, row: RepoRow): Promise<SafeHtml> {
  const recent = await hub.db
    .selectFrom('feedback_exports as x')
    .innerJoin('repos as r', 'r.id', 'x.dataset_repo_id')
    .select(['x.shard', 'x.commit_oid', 'x.sft_rows', 'x.preference_rows', 'x.created_at', 'r.namespace', 'r.name'])
    .where('x.model_repo_id', '=', row.id)
    .where('x.status', '=', 'done')
    .orderBy('x.created_at', 'desc')
    .limit(5)
    .execute();
  const suggested = recent[0] ? `${recent[0].namespace}/${recent[0].name}` : `${row.namespace}/${row.name}-feedback`;
  return html`<form class="stack settings-section" id="export-form">
    <h3>Export to a dataset</h3>
    <p class="small muted">Adds the accepted feedback whose submitters agreed to publication, redacted, to a dataset in ${row.namespace}
      (created private if it does not exist): chat rows (<code>sft</code>) and preference pairs (<code>preference</code>) as new JSONL files, with provenance.
      Feedback already exported to that dataset is skipped.</p>
    <fieldset data-needs-js disabled>
      <div><label for="export-dataset">Dataset</label><input id="export-dataset" name="dataset" type="text" value="${suggested}" required spellcheck="false" autocapitalize="none"></div>
      <fieldset class="choices"><legend>Formats</legend>
        <label class="choice"><input type="checkbox" name="formats" value="sft" checked> SFT chat messages</label>
        <label class="choice"><input type="checkbox" name="formats" value="preference" checked> Preference pairs (chosen / rejected)</label>
      </fieldset>
      ${formStatus('export-status')}
      <p><button type="submit" class="primary">Export</button></p>
    </fieldset>
    ${recent.length ? html`<h4>Recent exports</h4><ul class="plain-list small">${recent.map((x) => html`<li><a href="/datasets/${x.namespace}/${x.name}">${x.namespace}/${x.name}</a>
      part ${String(x.shard)}: ${String(x.sft_rows)} SFT, ${String(x.preference_rows)} preference · ${timeAgo(x.created_at)}
      ${x.commit_oid ? html`· <a href="/datasets/${x.namespace}/${x.name}/commit/${x.commit_oid}"><code>${x.commit_oid.slice(0, 7)}</code></a>` : ''}</li>`)}</ul>` : ''}
  </form>`;
}

/** `/{repo}/feedback`. */
export async function feedbackPage(hub: Hub, page: PageContext, row: RepoRow, q: FeedbackQuery): Promise<string> {
  const tags = (await tagsOf(hub, [row.id])).get(row.id) ?? [];
  const id = `${row.namespace}/${row.name}`;
  const base = repoBase(row);
  const actor = page.actor;
  const writer = isFeedbackWriter(actor, row);
  let listing: SafeHtml = html``;
  if (actor.kind === 'user') {
    const { items, total } = await listFeedback(hub, actor, row, q);
    const exports = await exportsOf(hub, items.map((i: FeedbackRow) => i.id));
    const shown = items.map((i) => feedbackJson(row, i, { writer, exports: exports.get(i.id) }) as unknown as Shown);
    listing = html`<section class="settings-section" id="feedback-list" aria-labelledby="feedback-list-title">
      <h3 id="feedback-list-title">${writer ? 'Triage queue' : 'Your feedback'} <span class="muted small">(${String(total)})</span></h3>
      ${filters(q, writer)}
      ${formStatus('feedback-list-status')}
      ${shown.length === 0 ? html`<p class="empty muted">${writer ? 'No feedback matches.' : 'You have not sent feedback on this model yet.'}</p>` : html`<ul class="plain-list feedback-list">${shown.map((f) => item(f, writer))}</ul>`}
      ${pager(base, q, total)}
    </section>`;
  }
  const maySubmit = actor.kind === 'user' && canDiscuss(actor, accessInfo(row));
  const body = html`${repoHeader(actor, row, 'feedback', tags)}
    <div id="feedback" ${repoData(row)}>
    <h2>Feedback on ${id}</h2>
    <p class="small muted">Rate the model's answers and suggest better ones. <a href="/api/models/${row.namespace}/${row.name}/feedback">The API</a> takes the same
      feedback as JSON (see the hub's documentation, <code>docs/feedback.md</code>).</p>
    ${actor.kind !== 'user' ? html`<p class="notice"><a href="/login?next=${encodeURIComponent(`${base}/feedback`)}">Sign in</a> to send feedback on this model.</p>` : ''}
    ${writer
      ? html`${listing}${await exportSection(hub, row)}${maySubmit ? html`<details class="feedback-own settings-section"><summary>Send feedback yourself</summary>${form(row)}</details>` : ''}`
      : html`${maySubmit ? form(row) : ''}${listing}`}
    </div>${clientScript('feedback')}`;
  return layout(page, `Feedback · ${id}`, body);
}
