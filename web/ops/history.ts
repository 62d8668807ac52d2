/**
 * The figures the charts draw: the last HISTORY_S of snapshots as columns (x in seconds since the
 * epoch, uPlot's time scale; one array per figure), and the per-minute rows of the charts' tables.
 * Pure: no browser, no signals (test/pages/ops-history.test.ts).
 */
import type { Snapshot } from './api.ts';

/** Ten minutes of figures. */
export const HISTORY_S = 600;

/** The charts' columns: x in seconds since the epoch (uPlot's time scale), one array per figure. */
export interface History {
  t: number[];
  waiting: number[];
  joins: number[];
  admissions: number[];
  etaShown: (number | null)[];
  etaActual: (number | null)[];
  active: number[];
  activeMax: number[];
  bookings: number[];
  errors: number[];
}

export function emptyHistory(): History {
  return { t: [], waiting: [], joins: [], admissions: [], etaShown: [], etaActual: [], active: [], activeMax: [], bookings: [], errors: [] };
}

/** A snapshot this much older than the last one is a server clock set back (a rehearsal restarted): the charts start again. */
const CLOCK_BACK_S = 5;

/** Adds a snapshot (a newer one only) and drops what is older than HISTORY_S before it. */
export function record(h: History, s: Snapshot): boolean {
  const x = Date.parse(s.at) / 1000;
  if (!Number.isFinite(x)) return false;
  const last = h.t[h.t.length - 1];
  if (last !== undefined && x <= last) {
    if (x > last - CLOCK_BACK_S) return false; // the same reading again, or one overtaken by a newer
    for (const column of Object.values(h) as unknown[][]) column.length = 0;
  }
  h.t.push(x);
  h.waiting.push(s.queue.waiting);
  h.joins.push(s.queue.joinsPerS);
  h.admissions.push(s.queue.admissionsPerS);
  h.etaShown.push(s.eta.shownSeconds);
  h.etaActual.push(s.eta.actualSeconds);
  h.active.push(s.queue.activePasses);
  h.activeMax.push(s.queue.activeMax);
  h.bookings.push(s.bookings.perS);
  h.errors.push(Math.round(Object.values(s.bookings.errorsByCode).reduce((a, b) => a + b, 0) * 10) / 10);
  let drop = 0;
  while (drop < h.t.length && h.t[drop]! < x - HISTORY_S) drop++;
  if (drop > 0) for (const column of Object.values(h) as unknown[][]) column.splice(0, drop);
  return true;
}

/** The table's rows, newest first: the last reading at or before each whole minute back from the newest. */
export function minuteRows(x: readonly number[], count: number): number[] {
  const rows: number[] = [];
  let i = x.length - 1;
  if (i < 0) return rows;
  const newest = x[i]!;
  for (let k = 0; k < count; k++) {
    const target = newest - 60 * k;
    while (i >= 0 && x[i]! > target) i--;
    if (i < 0) break;
    rows.push(i);
  }
  return rows;
}
