/**
 * Sold out (issue #11): when the last first dose is booked, GET /campaigns says so, the waiting
 * room stops admitting — status polls carry the notice instead of a pass, a new join is refused
 * 409 YEYAK_E_SOLD_OUT, those admitted who had not booked get exactly one 'campaign.sold_out'
 * outbox row each, a booked person cancels without a pass (none is issued) — and when that dose
 * comes back admission resumes. korea-2021-08 (verify-first) with one dose-1 place left in the whole campaign.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';
import type { Db } from '../../src/core/db.ts';
import { SOLD_OUT_NOTICE } from '../../src/rules/supply-state.ts';
import { API, OPERATOR } from './helpers.ts';

const CAMPAIGN = 'korea-2021-08';
const OPENED = '2021-08-09T20:00:05+09:00';

/** Every dose-1 slot emptied but the last day of the first clinic (1 place); supply follows its slots. */
async function oneDoseLeft(db: Db): Promise<void> {
  await db.query(`UPDATE slot SET capacity = 0, remaining = 0 WHERE campaign_id = $1 AND dose = 1`, [CAMPAIGN]);
  await db.query(
    `UPDATE slot SET capacity = 1, remaining = 1 WHERE id = (SELECT id FROM slot WHERE campaign_id = $1 AND dose = 1 ORDER BY clinic_id, day DESC LIMIT 1)`,
    [CAMPAIGN],
  );
  await db.query(`UPDATE supply p SET allocated = COALESCE((SELECT sum(s.capacity) FROM slot s WHERE s.supply_id = p.id), 0) WHERE campaign_id = $1`, [CAMPAIGN]);
}

describe('sold out', () => {
  let t: TestApp;
  let serial = 8100;
  const person = async () => t.login(syntheticRrn('1990-08-19', serial++));
  const tick = async () => {
    await t.app.yeyak.availability.refresh();
    await t.app.yeyak.waitingRoom.controller.tickAll();
    t.app.yeyak.waitingRoom.room.invalidate(CAMPAIGN);
  };
  const join = (token: string) => t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, headers: { authorization: `Bearer ${token}` } });
  const status = (ticket: string) => t.app.inject({ url: `${API}/queue/status`, headers: { authorization: `Bearer ${ticket}` } });
  const campaignView = async () => ((await t.app.inject({ url: `${API}/campaigns` })).json() as { id: string; supplyState: string; supplyExhausted: boolean; supplyNotice: unknown }[]).find((c) => c.id === CAMPAIGN);
  const soldOutRows = async () => (await t.db.query<{ person_id: string; dedupe_key: string }>(
    "SELECT payload->>'personId' AS person_id, dedupe_key FROM outbox WHERE topic = 'campaign.sold_out' ORDER BY id")).rows;

  beforeAll(async () => {
    t = await createTestApp({ scenario: 'korea-2021-08', clinics: 3, now: OPENED, beforeBuild: oneDoseLeft, config: { joinPerIpPerMin: 1_000_000 } });
  }, 120_000);
  afterAll(async () => t?.close());

  it('the last dose booked: the state flips everywhere; admitted-not-booked told once each; a dose back resumes admission', async () => {
    expect(await campaignView()).toMatchObject({ supplyState: 'available', supplyExhausted: false, supplyNotice: null });
    const [alice, bob, carol] = [await person(), await person(), await person()];
    const tickets: string[] = [];
    for (const token of [alice, bob, carol]) tickets.push((await join(token)).json().ticket as string);
    await tick();
    const first = (await status(tickets[0] as string)).json();
    expect(first).toMatchObject({ state: 'admitted' });
    expect(first.pass).toEqual(expect.any(String));
    const device = (JSON.parse(Buffer.from((tickets[0] as string).split('.')[1] as string, 'base64url').toString()) as { d: string }).d;
    // Alice books the campaign's last first dose.
    const slot = (await t.db.query<{ clinic_id: string; day: string }>('SELECT clinic_id, day FROM slot WHERE campaign_id = $1 AND dose = 1 AND remaining > 0', [CAMPAIGN])).rows[0];
    const booked = await t.app.inject({
      method: 'POST', url: `${API}/reservations`,
      headers: { authorization: `Bearer ${alice}`, 'idempotency-key': 'sold-out-last-dose', 'yeyak-pass': first.pass, 'yeyak-device': device },
      payload: { campaignId: CAMPAIGN, clinicId: slot?.clinic_id, date: slot?.day },
    });
    expect(booked.statusCode, booked.body).toBe(201);
    await tick();

    // GET /campaigns, the status poll of an admitted and of a waiting ticket, a new join.
    expect(await campaignView()).toMatchObject({ supplyState: 'sold_out', supplyExhausted: true, supplyNotice: SOLD_OUT_NOTICE });
    const bobStatus = (await status(tickets[1] as string)).json();
    expect(bobStatus).toMatchObject({ state: 'admitted', supplyState: 'sold_out', supplyNotice: SOLD_OUT_NOTICE });
    expect(bobStatus.pass).toBeUndefined();
    const dave = await person();
    const refused = await join(dave);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'YEYAK_E_SOLD_OUT', details: { notice: SOLD_OUT_NOTICE } });
    // A place already held is kept: Bob joining again gets his place back, with the notice.
    const bobAgain = await join(bob);
    expect(bobAgain.statusCode).toBe(201);
    expect(bobAgain.json()).toMatchObject({ position: bobStatus.position, supplyState: 'sold_out' });

    // Bob and Carol (admitted, not booked) are told once; Alice (booked) is not; more ticks add nothing.
    const ids = await t.db.query<{ id: string }>('SELECT person_id AS id FROM queue_person_ticket WHERE campaign_id = $1 ORDER BY seq', [CAMPAIGN]);
    const [aliceId, bobId, carolId] = ids.rows.map((r) => String(r.id));
    await tick();
    await tick();
    const rows = await soldOutRows();
    expect(rows.map((r) => r.person_id).sort()).toEqual([bobId, carolId].sort());
    expect(rows.map((r) => r.dedupe_key).sort()).toEqual([`sold_out:${CAMPAIGN}:${bobId}`, `sold_out:${CAMPAIGN}:${carolId}`].sort());
    expect(rows.map((r) => r.person_id)).not.toContain(aliceId);
    // The operator sees why the line stopped.
    const queue = await t.app.inject({ url: `${API}/admin/queue/${CAMPAIGN}`, headers: OPERATOR });
    expect(queue.json()).toMatchObject({ soldOut: true, paused: false });
    // Nobody new is admitted while sold out.
    const before = await t.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    const erin = await person();
    expect((await join(erin)).statusCode).toBe(409);
    await tick();
    expect((await t.app.yeyak.waitingRoom.store.read(CAMPAIGN)).admittedUpTo).toBe(before.admittedUpTo);

    // Alice cancels — without a pass: none is issued while sold out, and a cancel only gives a
    // dose back. Available again: Bob's poll gets his pass, joins are taken.
    const cancel = await t.app.inject({
      method: 'DELETE', url: `${API}/reservations/${booked.json().bookingNumber}`,
      headers: { authorization: `Bearer ${alice}`, 'yeyak-device': device },
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    await tick();
    expect(await campaignView()).toMatchObject({ supplyState: 'available', supplyNotice: null });
    const bobBack = (await status(tickets[1] as string)).json();
    expect(bobBack.supplyState).toBeUndefined();
    expect(bobBack.pass).toEqual(expect.any(String));
    expect((await join(await person())).statusCode).toBe(201);
    // The flip back wrote nothing more; and with doses available a cancel needs its pass again.
    expect((await soldOutRows()).length).toBe(2);
    expect(t.app.yeyak.waitingRoom.room.cancelsWithoutPass(CAMPAIGN)).toBe(false);
  });
});
