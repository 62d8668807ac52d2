/**
 * bench:booking's data (bench/booking.ts): the demo scenario seeded with capacity raised so that
 * nothing sells out, the hot, spread and sell-out clinic-days, and a pool of people (each booking
 * needs a person of its own).
 */
import { createHash } from 'node:crypto';
import { FakeClock } from '../src/core/clock.ts';
import type { Db } from '../src/core/db.ts';
import { migrate } from '../src/core/migrate.ts';
import { seedScenario } from '../src/scenarios/seed.ts';
import { loadCampaign } from '../src/campaigns/store.ts';
import type { Campaign } from '../src/rules/campaign.ts';
import { dose2Day } from '../src/rules/dose-dates.ts';

export const NOW = '2026-11-26T12:00:00+09:00';
export const SCENARIO = 'demo';
export const CLINICS = 1_000; // demo: 21 dose-1 days per clinic → 21,000 dose-1 clinic-days
export const SPREAD_CLINIC_DAYS = 1_000;
export const SELLOUT_CAPACITY = 1_000;
const COUNTER_START = 2_000_000_000; // bench_counter.remaining: never reaches 0 in a run
export const CAPACITY_BOOST = 1_000_000; // slot capacity and remaining, so no case ever sells out
const DOSES_BOOST = 10_000_000; // supply: allocated <= doses stays true
/** Tables seedScenario fills; the booking tables (reservation, …) start empty. */
const SEEDED_TABLES = ['region', 'vaccine', 'clinic', 'campaign', 'campaign_window', 'campaign_vaccine_rule', 'campaign_blackout', 'supply', 'slot'];

export interface Target {
  clinicId: string;
  day1: string;
  day2: string | null;
  idemHash: string;
}

export interface Fixture {
  campaign: Campaign;
  clock: FakeClock;
  hot: Target;
  spread: Target[];
  sellout: Target;
  slots: number;
}

function targetOf(c: Campaign, clinicId: string, day1: string): Target {
  const day2 = c.doses === 2 && c.dose2IntervalDays !== null ? dose2Day(day1, c.dose2IntervalDays, c.blackoutDays, c.blackoutShiftDays) : null;
  // As BookingService.book: the idempotency hash covers the request body.
  const idemHash = createHash('sha256').update(JSON.stringify(['self', c.id, clinicId, day1])).digest('hex');
  return { clinicId, day1, day2, idemHash };
}

export async function setUp(db: Db): Promise<Fixture> {
  const clock = new FakeClock(NOW);
  await migrate(db);
  const summary = await seedScenario(db, { scenario: SCENARIO, clinics: CLINICS, clock });
  const campaign = await loadCampaign(db, summary.campaignId);
  if (!campaign) throw new Error(`campaign ${summary.campaignId} not found after seeding`);
  const hotClinic = 'C000001';
  const selloutClinic = `C${String(CLINICS).padStart(6, '0')}`;
  await db.transaction(async (tx) => {
    await tx.query('SET LOCAL statement_timeout = 0');
    // allocated is only maintained on slot INSERT; raising doses first keeps allocated <= doses.
    await tx.query('UPDATE supply SET doses = doses + $1', [DOSES_BOOST]);
    await tx.query('UPDATE slot SET capacity = capacity + $1, remaining = remaining + $1', [CAPACITY_BOOST]);
    // The sell-out check's clinic-day keeps a small capacity.
    await tx.query(
      `UPDATE slot SET capacity = $4, remaining = $4 WHERE campaign_id = $1 AND clinic_id = $2 AND day = $3 AND dose = 1`,
      [campaign.id, selloutClinic, campaign.firstShotDay, SELLOUT_CAPACITY],
    );
    await tx.query('CREATE TABLE bench_counter (id int PRIMARY KEY, remaining int NOT NULL CHECK (remaining >= 0))');
    await tx.query('INSERT INTO bench_counter SELECT i, $2 FROM generate_series(1, $1::int) i', [SPREAD_CLINIC_DAYS, COUNTER_START]);
  });
  // Deterministic "random" 1,000 dose-1 clinic-days, not the hot or the sell-out clinic.
  const spreadRows = await db.query<{ clinic_id: string; day: string }>(
    `SELECT clinic_id, day FROM slot
      WHERE campaign_id = $1 AND dose = 1 AND clinic_id NOT IN ($2, $3)
      ORDER BY md5(clinic_id || day::text) LIMIT $4`,
    [campaign.id, hotClinic, selloutClinic, SPREAD_CLINIC_DAYS],
  );
  if (spreadRows.rows.length < SPREAD_CLINIC_DAYS) throw new Error(`only ${spreadRows.rows.length} clinic-days for the spread case`);
  // As a freshly seeded store after autovacuum: the seeded tables vacuumed (the capacity boost left a
  // dead version of every slot) and analysed. The booking tables are left un-analysed on purpose:
  // ANALYZE on them while empty makes the planner pick sequential scans (FK checks on reservation,
  // UPDATE idempotency_key) that stay cached per connection while the tables grow.
  await db.exec(`VACUUM ANALYZE ${SEEDED_TABLES.join(', ')}, bench_counter`);
  return {
    campaign,
    clock,
    hot: targetOf(campaign, hotClinic, campaign.firstShotDay),
    spread: spreadRows.rows.map((r) => targetOf(campaign, r.clinic_id, r.day)),
    sellout: targetOf(campaign, selloutClinic, campaign.firstShotDay),
    slots: summary.slots,
  };
}

/** Every booking needs a person of its own (one live reservation per person per campaign). */
export class PersonPool {
  private ids: number[] = [];
  private next = 0;
  private serial = 0;

  constructor(private readonly db: Db) {}

  get available(): number {
    return this.ids.length - this.next;
  }

  take(): number | undefined {
    return this.next < this.ids.length ? this.ids[this.next++] : undefined;
  }

  async ensure(n: number): Promise<void> {
    let missing = Math.ceil(n) - this.available;
    if (missing <= 0) return;
    this.ids = this.ids.slice(this.next);
    this.next = 0;
    while (missing > 0) {
      const chunk = Math.min(missing, 200_000);
      const from = this.serial + 1;
      const to = this.serial + chunk;
      const r = await this.db.transaction(async (tx) => {
        await tx.query('SET LOCAL statement_timeout = 0');
        return tx.query<{ lo: number; hi: number; n: number }>(
          `WITH ins AS (
             INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone)
             SELECT md5(i::text), DATE '1990-01-01', 'M', false, 'bench ' || i, '010-0000-' || lpad((i % 10000)::text, 4, '0')
               FROM generate_series($1::int, $2::int) i
             RETURNING id)
           SELECT min(id) AS lo, max(id) AS hi, count(*) AS n FROM ins`,
          [from, to],
        );
      });
      const row = r.rows[0];
      if (!row || Number(row.n) !== chunk) throw new Error(`person top-up: expected ${chunk} rows, got ${row?.n}`);
      const lo = Number(row.lo);
      const hi = Number(row.hi);
      if (hi - lo + 1 !== chunk) throw new Error(`person top-up: ids ${lo}..${hi} are not contiguous for ${chunk} rows`);
      for (let id = lo; id <= hi; id++) this.ids.push(id);
      this.serial = to;
      missing -= chunk;
    }
  }
}
