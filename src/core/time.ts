/** ISO-8601 UTC with milliseconds and a trailing `Z`: the only date format clients parse (spec 0.14). */
export function isoDate(value: Date | string | number): string {
  return new Date(value).toISOString();
}

export function nowIso(): string {
  return new Date().toISOString();
}
