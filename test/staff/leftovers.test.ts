/**
 * Leftover doses (issue #9; their booking is the next issue): a clinic releases doses for today
 * (Korea) until a time later than now, lists today's releases and withdraws one. Each write is one
 * statement with its audit row; taken never exceeds doses (the CHECK the next issue's claim relies on).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { API, bearer, expectError, koreaTime, onBothStores, sentTogether, type ClinicFixture } from './clinic-fixture.ts';

const TODAY = '2026-11-26'; // test/helpers/app.ts's clock: 2026-11-26T12:00:00+09:00

interface Release { id: number; clinicId: string; campaignId: string; vaccineId: string; day: string; doses: number; taken: number; until: string; releasedAt: string; releasedBy: string; withdrawnAt: string | null }

onBothStores('leftover releases', (fixture) => {
  let f: ClinicFixture;
  beforeAll(() => {
    f = fixture();
  });

  const release = (body: Record<string, unknown>, opts: { token?: string; clinicId?: string } = {}) =>
    f.t.app.inject({
      method: 'POST',
      url: `${API}/admin/clinics/${opts.clinicId ?? f.own}/leftovers`,
      headers: bearer(opts.token ?? f.clinicStaff.token),
      payload: { campaignId: 'demo', vaccineId: 'pfizer', doses: 5, until: '18:00', ...body },
    });
  const list = (opts: { token?: string; clinicId?: string } = {}) =>
    f.t.app.inject({ method: 'GET', url: `${API}/admin/clinics/${opts.clinicId ?? f.own}/leftovers`, headers: bearer(opts.token ?? f.clinicStaff.token) });
  const withdraw = (id: number | string, opts: { token?: string; clinicId?: string } = {}) =>
    f.t.app.inject({ method: 'DELETE', url: `${API}/admin/clinics/${opts.clinicId ?? f.own}/leftovers/${id}`, headers: bearer(opts.token ?? f.clinicStaff.token) });
  const auditOf = async (id: number) =>
    (await f.t.db.query<{ actor: string; action: string; detail: Record<string, unknown> }>(
      `SELECT actor, action, detail FROM audit_log WHERE action LIKE 'leftover\\_%' AND (detail->>'leftoverId')::bigint = $1 ORDER BY id`,
      [id],
    )).rows;

  describe('release', () => {
    it('→ 201 with the release (today, until as an instant, taken 0) and its audit row', async () => {
      f.t.clock.set(koreaTime(TODAY, '12:00'));
      const res = await release({ doses: 6, until: '18:30' });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json() as Release;
      expect(body).toEqual({
        id: expect.any(Number), clinicId: f.own, campaignId: 'demo', vaccineId: 'pfizer', day: TODAY, doses: 6, taken: 0,
        until: '2026-11-26T09:30:00.000Z', releasedAt: '2026-11-26T03:00:00.000Z', releasedBy: '보건소 김간호사', withdrawnAt: null,
      });
      const audit = await auditOf(body.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor: `staff:${f.clinicStaff.id}`, action: 'leftover_released', detail: { doses: 6, clinicId: f.own, vaccineId: 'pfizer' } });
    });

    it('bad input → 400 VALIDATION: doses 0, 101, 2.5, a string; until 24:00, 9:00, missing; an extra field', async () => {
      for (const body of [{ doses: 0 }, { doses: 101 }, { doses: 2.5 }, { doses: '5' }, { until: '24:00' }, { until: '9:00' }, { until: '18:00:00' }, { note: 'x' }]) {
        expectError(await release(body), 400, 'YEYAK_E_VALIDATION');
      }
      const missing = await f.t.app.inject({ method: 'POST', url: `${API}/admin/clinics/${f.own}/leftovers`, headers: bearer(f.clinicStaff.token), payload: { campaignId: 'demo', vaccineId: 'pfizer', doses: 1 } });
      expectError(missing, 400, 'YEYAK_E_VALIDATION');
    });

    it('until not later than now (Korea) → 400 LEFTOVER_UNTIL_PAST: earlier, this very minute; a minute later is fine', async () => {
      f.t.clock.set(koreaTime(TODAY, '17:45'));
      expectError(await release({ until: '09:00' }), 400, 'YEYAK_E_LEFTOVER_UNTIL_PAST');
      expectError(await release({ until: '17:45' }), 400, 'YEYAK_E_LEFTOVER_UNTIL_PAST');
      expect((await release({ until: '17:46', doses: 1 })).statusCode).toBe(201);
      f.t.clock.set(koreaTime(TODAY, '12:00'));
    });

    it('a vaccine the clinic holds no supply of → 409 VACCINE_NOT_SUPPLIED; an unknown campaign → 404; an operator on an unknown clinic → 404', async () => {
      expectError(await release({ vaccineId: 'moderna' }), 409, 'YEYAK_E_VACCINE_NOT_SUPPLIED');
      expectError(await release({ vaccineId: 'no-such-vaccine' }), 409, 'YEYAK_E_VACCINE_NOT_SUPPLIED');
      expectError(await release({ campaignId: 'no-such-campaign' }), 404, 'YEYAK_E_CAMPAIGN_NOT_FOUND');
      expectError(await release({}, { token: TEST_ADMIN_TOKEN, clinicId: 'C999999' }), 404, 'YEYAK_E_CLINIC_NOT_FOUND');
    });

    it("another clinic's staff → 403 on release, list and withdraw, and nothing is written", async () => {
      const before = (await f.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM leftover_release')).rows[0]?.n;
      expectError(await release({}, { token: f.otherClinicStaff.token }), 403, 'YEYAK_E_FORBIDDEN');
      expectError(await list({ token: f.otherClinicStaff.token }), 403, 'YEYAK_E_FORBIDDEN');
      const id = ((await list()).json() as Release[])[0]?.id as number;
      expectError(await withdraw(id, { token: f.otherClinicStaff.token }), 403, 'YEYAK_E_FORBIDDEN');
      expect((await f.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM leftover_release')).rows[0]?.n).toBe(before);
      expect(((await list()).json() as Release[]).every((r) => r.withdrawnAt === null)).toBe(true);
    });

    it('taken can never exceed doses (leftover_taken_in_range)', async () => {
      const id = ((await list()).json() as Release[])[0]?.id as number;
      await expect(f.t.db.query('UPDATE leftover_release SET taken = doses + 1 WHERE id = $1', [id])).rejects.toMatchObject({ constraint: 'leftover_taken_in_range' });
    });
  });

  describe('list and withdraw', () => {
    it("lists today's releases, oldest first; tomorrow the list is empty", async () => {
      const res = await list();
      expect(res.statusCode, res.body).toBe(200);
      const rows = res.json() as Release[];
      expect(rows.map((r) => [r.doses, r.day])).toEqual([[6, TODAY], [1, TODAY]]);
      f.t.clock.set(koreaTime('2026-11-27', '00:00'));
      expect((await list()).json()).toEqual([]);
      f.t.clock.set(koreaTime(TODAY, '12:00'));
      // The other clinic's list holds none of ours.
      expect((await list({ token: f.otherClinicStaff.token, clinicId: f.other })).json()).toEqual([]);
    });

    it('withdraw → 200 withdrawnAt set, one audit row; again → 200 the same, no second row; the list shows it withdrawn', async () => {
      const created = (await release({ doses: 3 })).json() as Release;
      f.t.clock.advance(60_000);
      const res = await withdraw(created.id);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ ...created, withdrawnAt: f.t.clock.now().toISOString() });
      f.t.clock.advance(60_000);
      const again = await withdraw(created.id);
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json()).toEqual(res.json());
      expect((await auditOf(created.id)).map((a) => a.action)).toEqual(['leftover_released', 'leftover_withdrawn']);
      expect(((await list()).json() as Release[]).find((r) => r.id === created.id)?.withdrawnAt).toBe(res.json().withdrawnAt);
    });

    it("a release of another clinic, or none → 404 LEFTOVER_NOT_FOUND; a malformed id → 400", async () => {
      const theirs = (await release({}, { token: f.otherClinicStaff.token, clinicId: f.other })).json() as Release;
      expectError(await withdraw(theirs.id), 404, 'YEYAK_E_LEFTOVER_NOT_FOUND');
      expect(((await list({ token: f.otherClinicStaff.token, clinicId: f.other })).json() as Release[])[0]?.withdrawnAt).toBeNull();
      expectError(await withdraw(999_999_999), 404, 'YEYAK_E_LEFTOVER_NOT_FOUND');
      for (const id of ['0', 'abc', '-1', '1234567890123456']) expectError(await withdraw(id), 400, 'YEYAK_E_VALIDATION');
    });

    it('two concurrent withdrawals → both 200 with one withdrawnAt, one audit row', async () => {
      const created = (await release({ doses: 2 })).json() as Release;
      const answers = await sentTogether(f.t, 'UPDATE leftover_release SET withdrawn_at', [() => withdraw(created.id), () => withdraw(created.id)]);
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
      expect(answers[0]?.json()).toEqual(answers[1]?.json());
      expect((await auditOf(created.id)).map((a) => a.action)).toEqual(['leftover_released', 'leftover_withdrawn']);
    });
  });
});
