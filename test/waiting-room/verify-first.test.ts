/**
 * The order of waiting room and verification (issue #4). verify-first (the August 2021 fix):
 * joining needs a session and the place is the person's — one place per person, on any device.
 * queue-first (July 2021): identity start on a campaign's booking path needs its admission pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { DeviceIds } from '../../src/identity/devices.ts';
import { queueFirst } from './helpers.ts';

const API = '/api/v1';
const CAMPAIGN = 'korea-2021-08';
const OPENED = '2021-08-09T20:00:05+09:00';
let vf: TestApp; // korea-2021-08 as seeded (verify-first, August 2021)
let qf: TestApp; // its queue-first variant (July 2021's order)
let serial = 9700;

beforeAll(async () => {
  vf = await createTestApp({
    scenario: 'korea-2021-08',
    clinics: 30,
    now: OPENED,
    config: { joinPerIpPerMin: 1_000_000 },
  });
  qf = await createTestApp({ scenario: 'korea-2021-08', beforeBuild: queueFirst, clinics: 30, now: OPENED, config: { joinPerIpPerMin: 1_000_000 } });
});
afterAll(async () => {
  await vf?.close();
  await qf?.close();
});

const payloadOf = <T>(token: string): T => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as T;

function join(t: TestApp, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url: `${API}/campaigns/${CAMPAIGN}/queue`, headers });
}

describe('verify-first', () => {
  it('join without a session is refused (401 UNAUTHENTICATED); nothing is issued', async () => {
    const before = await vf.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    const res = await join(vf);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('YEYAK_E_UNAUTHENTICATED');
    const after = await vf.app.yeyak.waitingRoom.store.read(CAMPAIGN);
    expect(after.lastSeq + after.preCount).toBe(before.lastSeq + before.preCount);
  });

  it('same person on two devices → the same place; the ticket carries the person; another person gets another place', async () => {
    // A session is its device's (issue #7): the second device is a second session, after logout.
    const ids = new DeviceIds(vf.config.sessionSecret);
    const [phone, laptop] = [ids.mint(), ids.mint()];
    const rrn = syntheticRrn('1990-08-19', serial++);
    const token = await vf.login(rrn, undefined, phone);
    const first = await join(vf, { authorization: `Bearer ${token}` });
    expect(first.statusCode, first.body).toBe(201);
    expect((await vf.app.inject({ method: 'POST', url: `${API}/identity/logout`, headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    const onLaptop = await vf.login(rrn, undefined, laptop);
    const second = await join(vf, { authorization: `Bearer ${onLaptop}` });
    expect(second.statusCode, second.body).toBe(201);
    const a = payloadOf<{ s: number; p: number; d: string }>(first.json().ticket);
    const b = payloadOf<{ s: number; p: number; d: string }>(second.json().ticket);
    expect(b.s).toBe(a.s);
    expect(b.p).toBe(a.p);
    expect(a.p).toEqual(expect.any(Number));
    expect([a.d, b.d]).toEqual([phone, laptop]); // bound to the asking session's device
    expect(second.json().position).toBe(first.json().position);
    const rows = await vf.db.query<{ n: number }>('SELECT count(*)::int AS n FROM queue_person_ticket WHERE person_id = $1', [a.p]);
    expect(rows.rows[0]?.n).toBe(1);

    const other = await vf.login(syntheticRrn('1990-08-29', serial++));
    const third = await join(vf, { authorization: `Bearer ${other}` });
    expect(payloadOf<{ s: number }>(third.json().ticket).s).not.toBe(a.s);
  });

  it('two first joins of one person at once keep one place (conditional insert)', async () => {
    const token = await vf.login(syntheticRrn('1990-08-09', serial++));
    const results = await Promise.all(
      ['par-one-aaaaaaaaaaaaaaaaa', 'par-two-bbbbbbbbbbbbbbbbb', 'par-three-ccccccccccccccc'].map((d) => join(vf, { authorization: `Bearer ${token}`, 'yeyak-device': d })),
    );
    const seqs = new Set(results.map((r) => payloadOf<{ s: number }>(r.json().ticket).s));
    expect(seqs.size).toBe(1);
  });

  it('identity start with a verify-first campaignId needs no pass', async () => {
    const res = await vf.app.inject({
      method: 'POST',
      url: `${API}/identity/challenges`,
      payload: { method: 'phone', name: '최', rrn: syntheticRrn('1990-08-19', serial++), phone: '010-4444-5555', campaignId: CAMPAIGN },
    });
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe('queue-first', () => {
  const challenge = (t: TestApp, extra: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `${API}/identity/challenges`,
      headers,
      payload: { method: 'phone', name: '정', rrn: syntheticRrn('1990-08-19', serial++), phone: '010-4444-6666', ...extra },
    });

  it('identity start needs a pass when campaignId is given: none → 403 PASS_REQUIRED, forged → PASS_INVALID, admitted → 201; without campaignId it works as before', async () => {
    const none = await challenge(qf, { campaignId: CAMPAIGN });
    expect(none.statusCode).toBe(403);
    expect(none.json().error.code).toBe('YEYAK_E_PASS_REQUIRED');
    const forged = await challenge(qf, { campaignId: CAMPAIGN }, { 'yeyak-pass': 'abc.def' });
    expect(forged.json().error.code).toBe('YEYAK_E_PASS_INVALID');
    expect((await challenge(qf, {})).statusCode).toBe(201);
    expect((await challenge(qf, { campaignId: 'no-such-campaign' })).json().error.code).toBe('YEYAK_E_CAMPAIGN_NOT_FOUND');

    // Through the line, anonymously (queue-first), then verification with the pass.
    const joined = await join(qf);
    expect(joined.statusCode, joined.body).toBe(201);
    const { ticket, device } = joined.json() as { ticket: string; device: string };
    let pass: string | undefined;
    for (let i = 0; i < 5 && !pass; i++) {
      await qf.app.yeyak.waitingRoom.controller.tickAll();
      qf.app.yeyak.waitingRoom.room.invalidate(CAMPAIGN);
      const status = await qf.app.inject({ method: 'GET', url: `${API}/queue/status`, headers: { authorization: `Bearer ${ticket}` } });
      pass = (status.json() as { pass?: string }).pass;
    }
    expect(pass).toEqual(expect.any(String));
    const admitted = await challenge(qf, { campaignId: CAMPAIGN }, { 'yeyak-pass': pass as string, 'yeyak-device': device });
    expect(admitted.statusCode, admitted.body).toBe(201);
    // The pass is the device's: another device cannot use it.
    const stolen = await challenge(qf, { campaignId: CAMPAIGN }, { 'yeyak-pass': pass as string, 'yeyak-device': 'thief-device-aaaaaaaaaaa' });
    expect(stolen.json().error.code).toBe('YEYAK_E_PASS_WRONG_HOLDER');
  });
});
