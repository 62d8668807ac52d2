/**
 * The operator console's chart history (web/ops/history.ts): ten minutes kept, readings in order
 * only, a server clock set back starts the charts again, and the tables' one-reading-a-minute rows.
 */
import { describe, expect, it } from 'vitest';
import { emptyHistory, HISTORY_S, minuteRows, record } from '../../web/ops/history.ts';
import type { Snapshot } from '../../web/ops/api.ts';

const T0 = Date.parse('2021-08-09T11:00:00Z');

function snapshot(atMs: number, waiting: number, errorsByCode: Record<string, number> = {}): Snapshot {
  return {
    at: new Date(atMs).toISOString(),
    campaignId: 'demo',
    queue: {
      enabled: true, waiting, activePasses: 3, activeMax: 500, ratePerS: 50, paused: false, notice: null, powBits: 0,
      joinsPerS: 1.5, admissionsPerS: 2, shuffle: { enabled: false, seedCommitment: null, doneAt: null },
    },
    eta: { shownSeconds: null, actualSeconds: 40 },
    identity: [],
    bookings: { perS: 4, errorsByCode },
    remainingByRegion: [],
  };
}

describe('ops chart history', () => {
  it('keeps every figure as a column, errors summed to a tenth', () => {
    const h = emptyHistory();
    expect(record(h, snapshot(T0, 7, { YEYAK_E_SLOT_FULL: 0.25, YEYAK_E_PASS_EXPIRED: 0.12 }))).toBe(true);
    expect(h).toEqual({
      t: [T0 / 1000], waiting: [7], joins: [1.5], admissions: [2], etaShown: [null], etaActual: [40],
      active: [3], activeMax: [500], bookings: [4], errors: [0.4],
    });
  });

  it('drops a reading that is not newer (a poll overtaken by the stream)', () => {
    const h = emptyHistory();
    record(h, snapshot(T0 + 2_000, 1));
    expect(record(h, snapshot(T0 + 2_000, 2))).toBe(false);
    expect(record(h, snapshot(T0 + 1_000, 3))).toBe(false);
    expect(h.waiting).toEqual([1]);
  });

  it('keeps the last ten minutes only, every column alike', () => {
    const h = emptyHistory();
    for (let s = 0; s <= HISTORY_S + 30; s++) record(h, snapshot(T0 + s * 1000, s));
    expect(h.t[0]).toBe(T0 / 1000 + 30);
    expect(h.t).toHaveLength(HISTORY_S + 1);
    for (const column of Object.values(h)) expect(column).toHaveLength(HISTORY_S + 1);
    expect(h.waiting[0]).toBe(30);
  });

  it('starts again when the server clock is set back (a rehearsal restarted earlier)', () => {
    const h = emptyHistory();
    record(h, snapshot(T0 + 60_000, 1));
    record(h, snapshot(T0 + 61_000, 2));
    expect(record(h, snapshot(T0, 9))).toBe(true);
    expect(h.t).toEqual([T0 / 1000]);
    expect(h.waiting).toEqual([9]);
  });

  it('gives the table one reading a minute, newest first, the last at or before each minute', () => {
    const x = [0, 10, 50, 65, 119, 130, 185].map((s) => 1_000_000 + s);
    // newest 185 → targets 185, 125, 65, 5 → indexes 6 (185), 4 (119), 3 (65), 0 (0)
    expect(minuteRows(x, 10)).toEqual([6, 4, 3, 0]);
    expect(minuteRows(x, 2)).toEqual([6, 4]);
    expect(minuteRows([], 10)).toEqual([]);
  });
});
