/**
 * One device at a time (the August 2021 rule, issue #4): after a person verifies on one device,
 * another device is refused for 10 minutes — decided by one conditional UPDATE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, deferred, phoneOf, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { DeviceIds } from '../../src/identity/devices.ts';

const API = '/api/v1';
const TEN_MIN_MS = 10 * 60 * 1000;
let t: TestApp;
let serial = 9300;

// Two phones, each with a device id the server minted (a chosen id is no device: devices.test.ts).
let deviceA: string;
let deviceB: string;

beforeAll(async () => {
  t = await createTestApp();
  const ids = new DeviceIds(t.config.sessionSecret);
  [deviceA, deviceB] = [ids.mint(), ids.mint()];
});
afterAll(async () => {
  await t?.close();
});

async function start(rrn: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: `${API}/identity/challenges`, payload: { method: 'phone', name: '이', rrn, phone: phoneOf(rrn) } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().challengeId as string;
}

function verify(challengeId: string, device: string) {
  return t.app.inject({ method: 'POST', url: `${API}/identity/challenges/${challengeId}/verify`, headers: { 'yeyak-device': device }, payload: { code: '000000' } });
}

describe('one device at a time', () => {
  it('second device during lockout is refused for 10 minutes (423 OTHER_DEVICE_ACTIVE with the unlock time), then allowed', async () => {
    const rrn = syntheticRrn('1990-06-06', serial++);
    const t0 = t.clock.nowMs();
    try {
      expect((await verify(await start(rrn), deviceA)).statusCode).toBe(200);
      const refused = await verify(await start(rrn), deviceB);
      expect(refused.statusCode).toBe(423);
      const error = refused.json().error as { code: string; messageKo: string; details: { unlockAt: string; retryAfterS: number } };
      expect(error.code).toBe('YEYAK_E_OTHER_DEVICE_ACTIVE');
      expect(error.messageKo).toContain('다른 기기');
      expect(error.details.unlockAt).toBe(new Date(t0 + TEN_MIN_MS).toISOString());
      expect(error.details.retryAfterS).toBe(600);
      // The first device itself may verify again (renews its lock).
      t.clock.advance(60_000);
      expect((await verify(await start(rrn), deviceA)).statusCode).toBe(200);
      // 10 min after the renewal, less a second: still refused; at 10 min: allowed.
      t.clock.advance(TEN_MIN_MS - 1000);
      expect((await verify(await start(rrn), deviceB)).statusCode).toBe(423);
      t.clock.advance(1000);
      const later = await verify(await start(rrn), deviceB);
      expect(later.statusCode, later.body).toBe(200);
      // Now B holds the person: A is the other device.
      expect((await verify(await start(rrn), deviceA)).statusCode).toBe(423);
    } finally {
      t.clock.set(t0);
    }
  });

  it('logout on the first device releases the lock at once', async () => {
    const rrn = syntheticRrn('1990-06-07', serial++);
    const first = await verify(await start(rrn), deviceA);
    const token = first.json().sessionToken as string;
    expect((await verify(await start(rrn), deviceB)).statusCode).toBe(423);
    const out = await t.app.inject({ method: 'POST', url: `${API}/identity/logout`, headers: { authorization: `Bearer ${token}` } });
    expect(out.statusCode).toBe(200);
    expect((await verify(await start(rrn), deviceB)).statusCode).toBe(200);
  });

  it('concurrent verifications from two devices → exactly one wins', async () => {
    const rrn = syntheticRrn('1990-06-08', serial++);
    const [ca, cb] = [await start(rrn), await start(rrn)];
    // Both requests reach the provider's check, then are released together.
    const provider = t.app.yeyak.identityProviders.get('phone');
    if (!provider) throw new Error('no phone provider');
    const gate = deferred();
    let arrived = 0;
    const bothArrived = deferred();
    const original = provider.check.bind(provider);
    provider.check = async (input) => {
      if (++arrived === 2) bothArrived.resolve();
      await gate.promise;
      return original(input);
    };
    try {
      const racing = Promise.all([verify(ca, deviceA), verify(cb, deviceB)]);
      await bothArrived.promise;
      gate.resolve();
      const results = await racing;
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 423]);
      const person = await t.db.query<{ active_device: string }>(
        `SELECT active_device FROM person WHERE id = (SELECT max(id) FROM person)`,
      );
      const winner = results.find((r) => r.statusCode === 200)?.json().device as string;
      expect(person.rows[0]?.active_device).toBe(winner);
    } finally {
      provider.check = original;
    }
  });

  it('a verification without a device id gets one minted and set as a cookie; the same client is the same device', async () => {
    const rrn = syntheticRrn('1990-06-09', serial++);
    const res = await t.app.inject({ method: 'POST', url: `${API}/identity/challenges/${await start(rrn)}/verify`, payload: { code: '000000' } });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'yeyak_device');
    expect(cookie?.value).toBe(res.json().device);
    expect(cookie?.httpOnly).toBe(true);
    const again = await t.app.inject({ method: 'POST', url: `${API}/identity/challenges/${await start(rrn)}/verify`, payload: { code: '000000' } });
    expect(again.statusCode).toBe(200);
    const otherBrowser = await t.app.inject({
      method: 'POST',
      url: `${API}/identity/challenges/${await start(rrn)}/verify`,
      headers: { 'user-agent': 'another phone' },
      payload: { code: '000000' },
    });
    expect(otherBrowser.statusCode).toBe(423);
  });
});
