/** The column types a preview shows for formats without a schema (CSV, JSON Lines). */
export type ColumnType = 'null' | 'bool' | 'int' | 'float' | 'string' | 'list' | 'struct' | 'mixed';

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:nan|inf|infinity)$/i;

/** The type a CSV cell's text reads as; an empty cell is null. */
export function csvValueType(s: string): ColumnType {
  if (s === '') return 'null';
  if (INT.test(s)) return 'int';
  if (FLOAT.test(s)) return 'float';
  if (/^(true|false)$/i.test(s)) return 'bool';
  return 'string';
}

/** The type of a parsed JSON value. */
export function jsonValueType(v: unknown): ColumnType {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'string';
  return Array.isArray(v) ? 'list' : 'struct';
}

/**
 * Two values' types as one column type: null joins anything, int widens to
 * float, and other disagreements become `conflict` (string for CSV, where
 * every cell is text anyway; mixed for JSON).
 */
export function joinTypes(a: ColumnType, b: ColumnType, conflict: ColumnType): ColumnType {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  if ((a === 'int' && b === 'float') || (a === 'float' && b === 'int')) return 'float';
  return conflict;
}

/** Every column's type over the rows shown. */
export function columnTypes(width: number, rows: unknown[][], typeOf: (v: unknown) => ColumnType, conflict: ColumnType): ColumnType[] {
  const types: ColumnType[] = new Array<ColumnType>(width).fill('null');
  for (const row of rows) for (let i = 0; i < width; i++) types[i] = joinTypes(types[i]!, typeOf(row[i]), conflict);
  return types;
}
