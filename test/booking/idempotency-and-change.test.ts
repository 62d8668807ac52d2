import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, deferred, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/pg.ts';

async function firstDates(t: TestApp, clinicId: string): Promise<string[]> {
  const r = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/demo/clinics/${clinicId}/dates` });
  return r.json().map((d: { date: string }) => d.date);
}

async function slotRemaining(t: TestApp, clinicId: string, day: string, dose: 1 | 2): Promise<number> {
  const r = await t.db.query<{ remaining: number }>(
    `SELECT remaining FROM slot WHERE campaign_id = 'demo' AND clinic_id = $1 AND day = $2 AND dose = $3`,
    [clinicId, day, dose],
  );
  return r.rows[0]?.remaining ?? -1;
}

function suite(name: string, make: () => Promise<{ t: TestApp; cleanup: () => Promise<void> }>) {
  describe(name, () => {
    let t: TestApp;
    let cleanup: () => Promise<void> = async () => undefined;
    let clinics: string[] = [];
    beforeAll(async () => {
      ({ t, cleanup } = await make());
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/campaigns/demo/clinics' });
      clinics = r.json().map((c: { id: string }) => c.id);
    });
    afterAll(async () => cleanup());

    it('the same Idempotency-Key sent twice at once books once and answers both the same', async () => {
      const token = await t.login(syntheticRrn('1979-01-20', 7001));
      const clinicId = clinics[0] as string;
      const [date] = await firstDates(t, clinicId);
      const gate = deferred();
      const send = async () => {
        await gate.promise;
        return t.app.inject({
          method: 'POST',
          url: '/api/v1/reservations',
          headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'same-key-twice' },
          payload: { campaignId: 'demo', clinicId, date },
        });
      };
      const both = [send(), send()];
      gate.resolve();
      const [a, b] = await Promise.all(both);
      expect(a?.statusCode).toBe(201);
      expect(b?.statusCode).toBe(201);
      expect(a?.json()).toEqual(b?.json());
      const count = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM reservation WHERE booking_number = $1`,
        [a?.json().bookingNumber],
      );
      expect(count.rows[0]?.n).toBe(1);
    });

    it('a change to a full slot leaves the booking and both slots untouched', async () => {
      const token = await t.login(syntheticRrn('1979-02-21', 7002));
      const from = clinics[1] as string;
      const to = clinics[2] as string;
      const [day] = await firstDates(t, from);
      const [toDay] = await firstDates(t, to);
      const booked = await t.app.inject({
        method: 'POST',
        url: '/api/v1/reservations',
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'change-full-1' },
        payload: { campaignId: 'demo', clinicId: from, date: day },
      });
      expect(booked.statusCode).toBe(201);
      await t.db.query(`UPDATE slot SET remaining = 0 WHERE campaign_id = 'demo' AND clinic_id = $1 AND day = $2 AND dose = 1`, [to, toDay]);
      const before = await slotRemaining(t, from, day as string, 1);
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/reservations/${booked.json().bookingNumber}`,
        headers: { authorization: `Bearer ${token}` },
        payload: { clinicId: to, date: toDay },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('YEYAK_E_SLOT_FULL');
      expect(await slotRemaining(t, from, day as string, 1)).toBe(before);
      expect(await slotRemaining(t, to, toDay as string, 1)).toBe(0);
      const still = await t.app.inject({
        method: 'GET',
        url: `/api/v1/reservations/${booked.json().bookingNumber}`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(still.json().doses[0]).toEqual({ dose: 1, date: day, clinicId: from });
    });

    it('a change moves both doses and releases the old slots in one step', async () => {
      const token = await t.login(syntheticRrn('1979-03-22', 7003));
      const clinicId = clinics[3] as string;
      const dates = await firstDates(t, clinicId);
      const [d1, d2] = [dates[1] as string, dates[4] as string];
      const booked = await t.app.inject({
        method: 'POST',
        url: '/api/v1/reservations',
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'change-ok-1' },
        payload: { campaignId: 'demo', clinicId, date: d1 },
      });
      const oldDose2Day = booked.json().doses[1].date as string;
      const oldBefore = [await slotRemaining(t, clinicId, d1, 1), await slotRemaining(t, clinicId, oldDose2Day, 2)];
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/reservations/${booked.json().bookingNumber}`,
        headers: { authorization: `Bearer ${token}` },
        payload: { date: d2 },
      });
      expect(res.statusCode, res.body).toBe(200);
      const newDose2Day = res.json().doses[1].date as string;
      expect(newDose2Day).not.toBe(oldDose2Day);
      expect([await slotRemaining(t, clinicId, d1, 1), await slotRemaining(t, clinicId, oldDose2Day, 2)]).toEqual([
        (oldBefore[0] as number) + 1,
        (oldBefore[1] as number) + 1,
      ]);
      const audit = await t.db.query<{ action: string }>(
        `SELECT a.action FROM audit_log a JOIN reservation r ON r.id = a.reservation_id WHERE r.booking_number = $1 ORDER BY a.id`,
        [booked.json().bookingNumber],
      );
      expect(audit.rows.map((r) => r.action)).toEqual(['reservation.created', 'reservation.changed']);
      const outbox = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox WHERE payload->'reservation'->>'bookingNumber' = $1`,
        [booked.json().bookingNumber],
      );
      expect(outbox.rows[0]?.n).toBe(2);
    });

    it('the RRN is never stored in clear', async () => {
      const rrn = syntheticRrn('1979-04-23', 7004);
      await t.login(rrn);
      const digits = rrn.replace('-', '');
      const hits = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM person WHERE rrn_hash LIKE '%' || $1 || '%' OR name LIKE '%' || $1 || '%'`,
        [digits],
      );
      expect(hits.rows[0]?.n).toBe(0);
      const challenges = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM identity_challenge WHERE rrn_hash LIKE '%' || $1 || '%'`,
        [digits.slice(0, 6)],
      );
      expect(challenges.rows[0]?.n).toBe(0);
    });
  });
}

suite('idempotency and change atomicity on PGlite', async () => {
  const t = await createTestApp();
  return { t, cleanup: () => t.close() };
});

describe.skipIf(!process.env.DATABASE_URL)('on PostgreSQL', () => {
  suite('idempotency and change atomicity on PostgreSQL', async () => {
    const database = await createTestDatabase();
    const t = await createTestApp({ databaseUrl: database.url });
    return {
      t,
      cleanup: async () => {
        await t.close();
        await database.drop();
      },
    };
  });
});
