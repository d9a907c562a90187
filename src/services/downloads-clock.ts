import type { Hub } from './hub.js';

/**
 * The clock of likes, download counts and trending scores. Days are UTC
 * calendar days (`YYYY-MM-DD`). Tests move a hub to another day with
 * `setSocialClock` instead of waiting for midnight; nothing else sets it.
 */
const clocks = new WeakMap<Hub, () => Date>();

export function setSocialClock(hub: Hub, now: (() => Date) | undefined): void {
  if (now) clocks.set(hub, now);
  else clocks.delete(hub);
}

export function socialNow(hub: Hub): Date {
  return clocks.get(hub)?.() ?? new Date();
}

export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function today(hub: Hub): string {
  return dayOf(socialNow(hub));
}

/** The day `n` days after `day` (negative: before). */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return dayOf(d);
}

/** Whole days from `from` to `to` (both `YYYY-MM-DD`). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Downloads "of the last 30 days" are those of today and the 29 days before. */
export const WINDOW_DAYS = 30;
