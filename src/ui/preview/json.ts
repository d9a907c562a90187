import { columnTypes, jsonValueType } from './infer.js';
import { PreviewError } from './source.js';
import { MAX_COLUMNS, type PreviewTable, rowSummary } from './table.js';

/** A value that is not an object (a JSON line holding a number, say) fills this one column. */
const VALUE_COLUMN = 'value';

/** Objects become rows: columns in order of first appearance, missing keys null. */
function tabulate(values: unknown[], complete: boolean, total?: number): PreviewTable {
  const names: string[] = [];
  const index = new Map<string, number>();
  const add = (k: string): number => {
    let i = index.get(k);
    if (i === undefined) {
      i = names.length;
      names.push(k);
      index.set(k, i);
    }
    return i;
  };
  const rows = values.map((v) => {
    const row: unknown[] = [];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) row[add(k)] = x;
    } else row[add(VALUE_COLUMN)] = v;
    return row;
  });
  const width = Math.min(names.length, MAX_COLUMNS);
  const types = columnTypes(width, rows, jsonValueType, 'mixed');
  return {
    columns: names.slice(0, width).map((name, i) => ({ name, type: types[i]! })),
    rows: rows.map((r) => Array.from({ length: width }, (_x, i) => r[i] ?? null)),
    summary: rowSummary(rows.length, total, complete, names.length),
  };
}

/**
 * The first rows of JSON Lines text. When `complete` is false the text is the
 * head of the file and its last line may be cut, so it is not read.
 */
export function previewJsonLines(text: string, maxRows: number, complete: boolean): PreviewTable {
  const lines = text.split('\n');
  if (!complete) lines.pop();
  const values: unknown[] = [];
  let more = !complete;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    if (values.length === maxRows) {
      more = true;
      break;
    }
    try {
      values.push(JSON.parse(line));
    } catch {
      throw new PreviewError(`Line ${i + 1} is not valid JSON, so this file cannot be previewed.`);
    }
  }
  return tabulate(values, !more);
}

/**
 * A whole `.json` file holding an array of records, or an object with one
 * array of records in it (`{"data": [...]}`); undefined for any other JSON,
 * which reads better as highlighted text.
 */
export function previewJsonArray(text: string, maxRows: number): PreviewTable | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const arrays = Object.values(doc).filter(Array.isArray);
    doc = arrays.length === 1 ? arrays[0] : undefined;
  }
  if (!Array.isArray(doc) || doc.length === 0 || !doc.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) return undefined;
  return tabulate(doc.slice(0, maxRows), doc.length <= maxRows, doc.length);
}
