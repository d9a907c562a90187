import { html, type SafeHtml } from '../html.js';

/** What every reader produces: named, typed columns and the first rows. */
export interface PreviewTable {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  /** A line above the table: how many rows are shown out of how many. */
  summary: string;
}

/** Columns past this are left out of the table (the summary says so). */
export const MAX_COLUMNS = 100;
const MAX_CELL_CHARS = 500;

function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? `<${x.length} bytes>` : x)) ?? String(v);
}

function cell(v: unknown): SafeHtml {
  if (v === null || v === undefined) return html`<td class="null">null</td>`;
  let text: string;
  if (typeof v === 'string') text = v;
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') text = String(v);
  else if (v instanceof Date) text = Number.isNaN(v.getTime()) ? 'Invalid date' : v.toISOString();
  else if (v instanceof Uint8Array) text = `<${v.length} bytes>`;
  else text = jsonText(v);
  if (text.length > MAX_CELL_CHARS) text = `${text.slice(0, MAX_CELL_CHARS)}…`;
  return html`<td>${text}</td>`;
}

/** The preview table; every name and value goes through the escaping template. */
export function renderTable(t: PreviewTable): SafeHtml {
  return html`<div class="preview">
    <p class="small muted preview-summary">${t.summary}</p>
    <div class="scroll"><table class="data"><thead><tr>${t.columns.map((c) => html`<th scope="col">${c.name}<span class="type">${c.type}</span></th>`)}</tr></thead>
    <tbody>${t.rows.map((r) => html`<tr>${t.columns.map((_c, i) => cell(r[i]))}</tr>`)}</tbody></table></div>
  </div>`;
}

/** A message in place of the table: an unsupported format or a file that does not parse. */
export function previewMessage(text: string): SafeHtml {
  return html`<p class="empty preview-message">${text}</p>`;
}

/** "First 100 rows", "All 7 rows", "First 100 of 1,234 rows", plus a note on hidden columns. */
export function rowSummary(shown: number, total: number | undefined, complete: boolean, columns: number): string {
  const n = (x: number): string => x.toLocaleString('en');
  const rows = complete ? `All ${n(shown)} row${shown === 1 ? '' : 's'}` : total !== undefined ? `First ${n(shown)} of ${n(total)} rows` : `First ${n(shown)} row${shown === 1 ? '' : 's'}`;
  return columns > MAX_COLUMNS ? `${rows}; first ${MAX_COLUMNS} of ${n(columns)} columns` : rows;
}
