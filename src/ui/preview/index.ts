import { isHubError } from '../../core/errors.js';
import type { DataPreview } from '../pages/files.js';
import { previewDelimited } from './csv.js';
import { previewJsonArray, previewJsonLines } from './json.js';
import { previewParquet } from './parquet.js';
import { openSource, PreviewError } from './source.js';
import { type PreviewTable, previewMessage, renderTable } from './table.js';

/** Rows shown by a preview. */
export const PREVIEW_ROWS = 100;
/** Text formats are previewed from this much of the file's head, never more. */
export const PREVIEW_HEAD_BYTES = 1024 * 1024;

/** Data formats a dataset may hold that have no reader here yet: they get a message, not a blank. */
const UNSUPPORTED = /\.(arrow|feather|avro|orc|h5|hdf5|tfrecords?|lance|(csv|tsv|jsonl|ndjson|json|parquet)\.(gz|bz2|xz|zst|zip))$/i;

function formatOf(path: string): 'csv' | 'tsv' | 'jsonl' | 'json' | 'parquet' | 'unsupported' | undefined {
  const lower = path.toLowerCase();
  if (UNSUPPORTED.test(lower)) return 'unsupported';
  const ext = /\.([a-z]+)$/.exec(lower)?.[1];
  if (ext === 'csv' || ext === 'tsv' || ext === 'json' || ext === 'parquet') return ext;
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  return undefined;
}

/**
 * The blob page's data preview: the first rows of CSV, TSV, JSON Lines, JSON
 * arrays and Parquet as a typed table, read from the head of the file (or,
 * for Parquet, its footer and first row group) and never from all of it.
 * Undefined leaves the page to its usual text view or download card; a file
 * that does not parse gets a message, never an error page.
 */
export const dataPreview: DataPreview = async (hub, row, entry) => {
  const format = formatOf(entry.path);
  if (!format) return undefined;
  const ext = entry.path.slice(entry.path.lastIndexOf('.'));
  if (format === 'unsupported') return previewMessage(`No preview for ${ext} files yet: the viewer reads CSV, TSV, JSON Lines, JSON and Parquet. Download the file to open it.`);
  const src = openSource(hub, row, entry);
  try {
    let table: PreviewTable | undefined;
    if (format === 'parquet') {
      table = await previewParquet(src, PREVIEW_ROWS).catch((err: unknown) => {
        if (err instanceof PreviewError || isHubError(err)) throw err;
        throw new PreviewError(`This Parquet file could not be read (${err instanceof Error ? err.message : String(err)}).`);
      });
    } else {
      const complete = src.size <= PREVIEW_HEAD_BYTES;
      const head = await src.head(PREVIEW_HEAD_BYTES);
      if (head.subarray(0, 8000).includes(0)) throw new PreviewError('This file holds binary data, so it cannot be previewed as text.');
      const text = head.toString('utf8');
      if (format === 'json') {
        // A JSON document parses only whole; a large one keeps the blob page's usual view.
        table = complete ? previewJsonArray(text, PREVIEW_ROWS) : undefined;
      } else if (format === 'jsonl') table = previewJsonLines(text, PREVIEW_ROWS, complete);
      else table = previewDelimited(text, format === 'tsv' ? '\t' : ',', PREVIEW_ROWS, complete);
    }
    if (table && table.columns.length === 0) return previewMessage('This file has no rows to preview.');
    return table && renderTable(table);
  } catch (err) {
    if (err instanceof PreviewError) return previewMessage(err.message);
    if (isHubError(err) && err.code === 'EntryNotFound') return previewMessage('The contents of this file are not stored on this hub, so it cannot be previewed.');
    return previewMessage('This file could not be previewed.');
  }
};
