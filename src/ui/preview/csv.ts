import { columnTypes, csvValueType } from './infer.js';
import { MAX_COLUMNS, type PreviewTable, rowSummary } from './table.js';

/**
 * Splits RFC 4180 text into records: quoted fields may hold the delimiter,
 * newlines and doubled quotes. Stops after `maxRecords`. When `complete` is
 * false the text is only the head of the file, so a record not ended by a
 * newline may be cut and is dropped.
 */
export function parseDelimited(text: string, delimiter: string, maxRecords: number, complete: boolean): { records: string[][]; more: boolean } {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let started = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = (): void => {
    record.push(field);
    records.push(record);
    record = [];
    field = '';
    started = false;
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      started = true;
    } else if (ch === delimiter) {
      record.push(field);
      field = '';
      started = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      // A blank line is not a record.
      if (started || field !== '' || record.length) endRecord();
      if (records.length >= maxRecords) return { records, more: i + 1 < text.length || !complete };
    } else {
      field += ch;
      started = true;
    }
  }
  if (complete && (started || field !== '' || record.length)) endRecord();
  return { records, more: !complete };
}

/** Picks the delimiter of a `.csv` file from its first line: comma unless it has none and semicolons or tabs. */
export function sniffDelimiter(text: string, fallback: string): string {
  const line = text.slice(0, text.search(/\r|\n/) >>> 0);
  if (fallback !== ',' || line.includes(',')) return fallback;
  if (line.includes(';')) return ';';
  if (line.includes('\t')) return '\t';
  return fallback;
}

/** The first rows of CSV or TSV text (the head of the file, or all of it when `complete`). */
export function previewDelimited(text: string, delimiter: string, maxRows: number, complete: boolean): PreviewTable {
  const { records, more } = parseDelimited(text, sniffDelimiter(text, delimiter), maxRows + 1, complete);
  const [header = [], ...rows] = records;
  const width = Math.max(header.length, ...rows.map((r) => r.length));
  const seen = new Set<string>();
  const names = Array.from({ length: width }, (_x, i) => {
    let name = header[i]?.trim() || `column_${i + 1}`;
    while (seen.has(name)) name = `${name}_${i + 1}`;
    seen.add(name);
    return name;
  }).slice(0, MAX_COLUMNS);
  // Cells keep their text; the type says what it reads as. Empty cells show as null.
  const cells = rows.map((r) => names.map((_n, i) => (r[i] === undefined || r[i] === '' ? null : r[i])));
  const types = columnTypes(names.length, rows.map((r) => names.map((_n, i) => r[i] ?? '')), (v) => csvValueType(v as string), 'string');
  return {
    columns: names.map((name, i) => ({ name, type: types[i]! })),
    rows: cells,
    summary: rowSummary(rows.length, undefined, !more, width),
  };
}
