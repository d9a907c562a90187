import { type FileMetaData, parquetMetadata, parquetRead, parquetSchema, type SchemaTree } from 'hyparquet';
import { type ByteSource, PreviewError } from './source.js';
import { MAX_COLUMNS, type PreviewTable, rowSummary } from './table.js';

/** A footer this large is not a file a preview should parse. */
const MAX_METADATA_BYTES = 8 * 1024 * 1024;
/** At most this many bytes of column chunks are read for the first rows. */
const MAX_DATA_BYTES = 32 * 1024 * 1024;

const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;

/**
 * The footer: the last 8 bytes hold the metadata's length and the magic
 * `PAR1`, the metadata sits just before them
 * (https://parquet.apache.org/docs/file-format/).
 */
async function readMetadata(src: ByteSource): Promise<FileMetaData> {
  if (src.size < 12) throw new PreviewError('This file is too short to be Parquet.');
  const tail = await src.range(src.size - 8, src.size);
  if (tail.toString('latin1', 4, 8) !== 'PAR1') throw new PreviewError('This file does not end with the Parquet magic bytes, so it cannot be previewed.');
  const length = tail.readUInt32LE(0);
  if (length > src.size - 12) throw new PreviewError('This Parquet file is malformed: its footer claims more metadata than the file holds.');
  if (length > MAX_METADATA_BYTES) throw new PreviewError('This Parquet file\'s metadata is too large to preview.');
  const footer = await src.range(src.size - 8 - length, src.size);
  return parquetMetadata(toArrayBuffer(footer));
}

/** A column's type as a reader would name it: the logical type when there is one, else the physical type. */
export function typeName(node: SchemaTree): string {
  const e = node.element;
  const logical = e.logical_type;
  if (logical) {
    switch (logical.type) {
      case 'INTEGER': return `${logical.isSigned ? 'int' : 'uint'}${logical.bitWidth}`;
      case 'DECIMAL': return `decimal(${logical.precision},${logical.scale})`;
      case 'TIMESTAMP': return `timestamp[${logical.unit.toLowerCase()}]`;
      case 'LIST': return `list<${node.children[0]?.children[0] ? typeName(node.children[0].children[0]) : '?'}>`;
      default: return logical.type.toLowerCase();
    }
  }
  switch (e.converted_type) {
    case 'UTF8': case 'ENUM': return 'string';
    case 'LIST': return `list<${node.children[0]?.children[0] ? typeName(node.children[0].children[0]) : '?'}>`;
    case 'DECIMAL': return `decimal(${e.precision ?? '?'},${e.scale ?? 0})`;
    case 'TIMESTAMP_MILLIS': case 'TIMESTAMP_MICROS': case 'TIME_MILLIS': case 'TIME_MICROS': {
      const [kind, unit] = e.converted_type.toLowerCase().split('_');
      return `${kind}[${unit}]`;
    }
    case undefined: break;
    // INT_8 → int8, UINT_64 → uint64, DATE → date, JSON → json, ...
    default: return e.converted_type.toLowerCase().replace('_', '');
  }
  if (node.children.length) return 'struct';
  switch (e.type) {
    case 'BOOLEAN': return 'bool';
    case 'INT32': return 'int32';
    case 'INT64': return 'int64';
    case 'INT96': return 'timestamp[int96]';
    case 'FLOAT': return 'float';
    case 'DOUBLE': return 'double';
    default: return 'binary';
  }
}

/**
 * The first rows of a Parquet file: the footer first, then only the column
 * chunks (or, with an offset index, the pages) that hold those rows.
 */
export async function previewParquet(src: ByteSource, maxRows: number): Promise<PreviewTable> {
  const metadata = await readMetadata(src);
  const top = parquetSchema(metadata).children;
  const columns = top.slice(0, MAX_COLUMNS);
  const total = Number(metadata.num_rows);
  const rowEnd = Math.min(maxRows, total);
  let budget = MAX_DATA_BYTES;
  const file = {
    byteLength: src.size,
    async slice(start: number, end = src.size): Promise<ArrayBuffer> {
      budget -= end - start;
      if (budget < 0) throw new PreviewError('The first rows of this Parquet file are too large to preview.');
      return toArrayBuffer(await src.range(start, end));
    },
  };
  let rows: Record<string, unknown>[] = [];
  if (rowEnd > 0 && columns.length) {
    await parquetRead({
      file,
      metadata,
      columns: columns.map((c) => c.element.name),
      rowStart: 0,
      rowEnd,
      rowFormat: 'object',
      useOffsetIndex: true,
      onComplete: (r) => (rows = r),
    });
  }
  return {
    columns: columns.map((c) => ({ name: c.element.name, type: typeName(c) })),
    rows: rows.slice(0, rowEnd).map((r) => columns.map((c) => r[c.element.name])),
    summary: rowSummary(Math.min(rows.length, rowEnd), total, rowEnd >= total, top.length),
  };
}
