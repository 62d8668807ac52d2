/**
 * The demo is seeded relative to its seeding day; a store kept in ./.yeyak would stop being
 * bookable three weeks later. At start the server rolls the demo forward instead of reseeding it:
 * its window is stretched to end where a fresh demo's would, and the dose-1 days after its last one
 * up to a fresh demo's last day get slots (each clinic at its largest dose-1 capacity so far) with
 * the supply behind them, dose 2 included. Nothing is deleted: reservations, changed capacities
 * and past days stay as they were. Only the campaign with id `demo` is touched; never backwards.
 */
import type { Db, Queryable } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import { addDays, daysBetween } from '../rules/time.ts';
import { dose2Day } from '../rules/dose-dates.ts';
import { demoPlan } from './seed.ts';
import { insertSlots, insertSupply, stageDose1 } from './sql.ts';

export const DEMO_CAMPAIGN_ID = 'demo';

export interface DemoRollForward {
  /** The new last dose-1 day. */
  lastShotDay: string;
  /** Dose-1 days added (each for every clinic of the demo). */
  daysAdded: number;
  clinics: number;
  closesAt: Date;
}

interface Stored {
  first_shot_day: string;
  last_shot_day: string;
  closes_at: Date | string;
  dose2_interval_days: number;
  blackout_shift_days: number;
}

/** Rolls the stored demo forward to `clock`'s today; null when it is fresh (or absent). */
export async function rollDemoForward(db: Db, clock: Clock): Promise<DemoRollForward | null> {
  const fresh = demoPlan(clock).campaign;
  const window = fresh.windows[0];
  if (!window) throw new Error('demo plan without a window');
  return db.transaction(async (tx) => {
    // The row lock serialises nodes starting together on one database. The read is a statement
    // of its own, after the lock: under READ COMMITTED it then sees what the first node committed.
    const locked = await tx.query('SELECT 1 FROM campaign WHERE id = $1 FOR UPDATE', [DEMO_CAMPAIGN_ID]);
    if (locked.rows.length === 0) return null;
    const found = await tx.query<Stored>(
      `SELECT c.first_shot_day, c.last_shot_day, c.dose2_interval_days, c.blackout_shift_days,
              (SELECT max(w.closes_at) FROM campaign_window w WHERE w.campaign_id = c.id) AS closes_at
         FROM campaign c WHERE c.id = $1`,
      [DEMO_CAMPAIGN_ID],
    );
    const stored = found.rows[0];
    if (!stored || stored.closes_at === null) return null;
    const closesAt = new Date(stored.closes_at);
    if (stored.last_shot_day >= fresh.lastShotDay && closesAt >= window.closesAt) return null;
    await tx.query('SET LOCAL statement_timeout = 0');
    const days = newDays(stored.last_shot_day, fresh.firstShotDay, fresh.lastShotDay);
    const clinics = days.length > 0 ? await clinicCapacities(tx) : [];
    if (clinics.length > 0) {
      const blackouts = await tx.query<{ day: string }>('SELECT day FROM campaign_blackout WHERE campaign_id = $1', [DEMO_CAMPAIGN_ID]);
      const off = blackouts.rows.map((b) => b.day);
      const days2 = days.map((d) => dose2Day(d, stored.dose2_interval_days, off, stored.blackout_shift_days));
      await stageDose1(tx, DEMO_CAMPAIGN_ID, clinics, days, days2);
      await insertSupply(tx, DEMO_CAMPAIGN_ID);
      await insertSlots(tx, DEMO_CAMPAIGN_ID);
    }
    const lastShotDay = stored.last_shot_day > fresh.lastShotDay ? stored.last_shot_day : fresh.lastShotDay;
    await tx.query('UPDATE campaign SET last_shot_day = $2 WHERE id = $1', [DEMO_CAMPAIGN_ID, lastShotDay]);
    // The demo has one window ("everyone eligible"); it only ever grows.
    await tx.query(
      `UPDATE campaign_window SET opens_at = least(opens_at, $2), closes_at = greatest(closes_at, $3) WHERE campaign_id = $1`,
      [DEMO_CAMPAIGN_ID, window.opensAt.toISOString(), window.closesAt.toISOString()],
    );
    return { lastShotDay, daysAdded: clinics.length > 0 ? days.length : 0, clinics: clinics.length, closesAt: closesAt > window.closesAt ? closesAt : window.closesAt };
  });
}

/** Dose-1 days strictly after the stored last one (so no slot exists yet), from tomorrow at the earliest. */
function newDays(storedLast: string, freshFirst: string, freshLast: string): string[] {
  const from = addDays(storedLast, 1) > freshFirst ? addDays(storedLast, 1) : freshFirst;
  const out: string[] = [];
  for (let i = 0; i <= daysBetween(from, freshLast); i++) out.push(addDays(from, i));
  return out;
}

async function clinicCapacities(tx: Queryable): Promise<{ id: string; capacity: number }[]> {
  const r = await tx.query<{ id: string; capacity: number }>(
    `SELECT clinic_id AS id, max(capacity)::int AS capacity FROM slot
      WHERE campaign_id = $1 AND dose = 1 GROUP BY clinic_id HAVING max(capacity) > 0 ORDER BY clinic_id`,
    [DEMO_CAMPAIGN_ID],
  );
  return r.rows;
}
