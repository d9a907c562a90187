/**
 * The hub's logger: one line per event, JSON (for log shippers) or text (for
 * people at a terminal), filtered by level.
 *
 * It lives in core so that every layer may log, and does no I/O itself: the
 * composition root (`src/main.ts`) hands it a sink (stdout). Before that, and
 * in CLI commands that never start a hub, warnings and errors go to stderr.
 *
 * One logger per process: log settings are process settings, like the
 * process's stdout. Fields are the caller's responsibility: never pass
 * tokens, cookies, passwords or query strings (signed URLs carry their
 * signature there).
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'off'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

export interface LogSettings {
  level: LogLevel;
  format: LogFormat;
  /** Receives each formatted line, newline included. */
  write: (line: string) => void;
}

/** An error as plain fields: its message, its code when it has one, and its stack. */
function errorFields(err: unknown): LogFields {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { message: err.message, ...(code !== undefined ? { code } : {}), stack: err.stack };
  }
  return { message: String(err) };
}

/** JSON.stringify that survives bigints, errors and cycles: a log line must never throw. */
function toJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return errorFields(v);
    if (v && typeof v === 'object') {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v instanceof Error) return JSON.stringify(v.message);
  return typeof v === 'object' && v !== null ? toJson(v) : String(v);
}

export class Logger {
  private settings: LogSettings = { level: 'warn', format: 'text', write: (line) => process.stderr.write(line) };

  /** Replaces level, format or sink (the composition root calls this once at start-up). */
  configure(settings: Partial<LogSettings>): void {
    this.settings = { ...this.settings, ...settings };
  }

  get level(): LogLevel {
    return this.settings.level;
  }

  enabled(level: LogLevel): boolean {
    return level !== 'off' && RANK[level] >= RANK[this.settings.level];
  }

  debug(msg: string, fields?: LogFields): void {
    this.emit('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.emit('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.emit('warn', msg, fields);
  }

  /** `err` becomes an `error` field with its message and stack. */
  error(msg: string, err?: unknown, fields?: LogFields): void {
    this.emit('error', msg, err === undefined ? fields : { ...fields, error: errorFields(err) });
  }

  emit(level: Exclude<LogLevel, 'off'>, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const time = new Date().toISOString();
    let line: string;
    if (this.settings.format === 'json') {
      line = toJson({ time, level, msg, ...fields });
    } else {
      // An error object's stack goes on the lines below, where people look for it.
      const err = typeof fields?.error === 'object' && fields.error !== null ? (fields.error as LogFields) : undefined;
      const rest = Object.entries(fields ?? {})
        .filter(([k, v]) => v !== undefined && !(k === 'error' && err))
        .map(([k, v]) => `${k}=${textValue(v)}`);
      const tail = err ? `\n${String(err.stack ?? err.message)}` : '';
      line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}${rest.length ? ` ${rest.join(' ')}` : ''}${tail}`;
    }
    try {
      this.settings.write(`${line}\n`);
    } catch {
      // A closed stdout (a pipe whose reader went away) must not take a request down with it.
    }
  }
}

/** The process's logger. */
export const log = new Logger();

export function parseLogLevel(raw: string): LogLevel | undefined {
  const l = raw.toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(l) ? (l as LogLevel) : l === 'silent' || l === 'none' ? 'off' : undefined;
}
