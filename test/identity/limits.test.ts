/**
 * Identity-start limits (issue #4): per client address, per phone and per person — the RRN and
 * the phone together, keyed-hashed, never the RRN (issue #7: a stranger typing someone's RRN must
 * not lock them out) — each a 429 YEYAK_E_RATE_LIMITED naming the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, phoneOf, syntheticRrn, type TestApp } from '../helpers/app.ts';

const API = '/api/v1';
const PER_IP = 4;
const PER_PHONE = 5; // above PER_PERSON: the person-and-phone limit is reached first
const PER_PERSON = 3;
let t: TestApp;
let serial = 9500;

beforeAll(async () => {
  t = await createTestApp({ config: { challengesPerIpPerMin: PER_IP, challengesPerPhonePerHour: PER_PHONE, challengesPerPersonPerHour: PER_PERSON } });
});
afterAll(async () => {
  await t?.close();
});

function start(opts: { ip: string; phone: string; rrn: string }) {
  return t.app.inject({
    method: 'POST',
    url: `${API}/identity/challenges`,
    remoteAddress: opts.ip,
    payload: { method: 'phone', name: '박', rrn: opts.rrn, phone: opts.phone },
  });
}

const rrn = () => syntheticRrn('1991-07-07', serial++);

describe('identity start limits', () => {
  it('per phone: the sixth start for one phone within the hour → 429 (limit: phone), from any address, for anyone', async () => {
    const phone = '010-7000-0001';
    for (let i = 0; i < PER_PHONE; i++) expect((await start({ ip: `10.1.0.${i + 1}`, phone, rrn: rrn() })).statusCode).toBe(201);
    const res = await start({ ip: '10.1.0.99', phone, rrn: rrn() });
    expect(res.statusCode).toBe(429);
    expect(res.json().error).toMatchObject({ code: 'YEYAK_E_RATE_LIMITED', details: { limit: 'phone' } });
    // Another phone is not affected.
    expect((await start({ ip: '10.1.0.100', phone: '010-7000-0002', rrn: rrn() })).statusCode).toBe(201);
  });

  // Red-team finding (issue #7): a stranger flooding someone's phone with codes used to lock its
  // owner out of every method for an hour.
  it("per phone counts per method: a stranger's flood of phone codes to a victim's number leaves the app methods open to the victim", async () => {
    const phone = '010-7000-0003';
    for (let i = 0; i < PER_PHONE + 2; i++) await start({ ip: `10.4.0.${i + 1}`, phone, rrn: rrn() });
    expect((await start({ ip: '10.4.0.99', phone, rrn: rrn() })).statusCode).toBe(429);
    const own = await t.app.inject({ method: 'POST', url: `${API}/identity/challenges`, remoteAddress: '10.4.1.1', payload: { method: 'kakao', name: '피해자', rrn: rrn(), phone } });
    expect(own.statusCode, own.body).toBe(201);
  });

  it('per person: the fourth start for one RRN with one phone within the hour → 429 (limit: person), from any address', async () => {
    const person = rrn();
    const phone = '010-7100-0001';
    for (let i = 0; i < PER_PERSON; i++) {
      // Each start its own address and the phone written both ways: still one person and phone.
      expect((await start({ ip: `10.2.0.${i + 1}`, phone: i % 2 ? phone : phone.replaceAll('-', ''), rrn: person })).statusCode).toBe(201);
    }
    const res = await start({ ip: '10.2.0.99', phone, rrn: person });
    expect(res.statusCode).toBe(429);
    expect(res.json().error).toMatchObject({ code: 'YEYAK_E_RATE_LIMITED', details: { limit: 'person' } });
    // The same person with the RRN written without the dash is the same person.
    const compact = await start({ ip: '10.2.0.98', phone, rrn: person.replace('-', '') });
    expect(compact.statusCode).toBe(429);
  });

  it('per IP: the fifth start from one address within the minute → 429 (limit: ip); another address is not affected', async () => {
    const ip = '10.3.0.1';
    for (let i = 0; i < PER_IP; i++) expect((await start({ ip, phone: `010-7200-000${i}`, rrn: rrn() })).statusCode).toBe(201);
    const res = await start({ ip, phone: '010-7200-0099', rrn: rrn() });
    expect(res.statusCode).toBe(429);
    expect(res.json().error).toMatchObject({ code: 'YEYAK_E_RATE_LIMITED', details: { limit: 'ip' } });
    expect((await start({ ip: '10.3.0.2', phone: '010-7200-0098', rrn: rrn() })).statusCode).toBe(201);
  });
});

describe('no lock-out of a victim (issue #7)', () => {
  let v: TestApp;
  beforeAll(async () => {
    v = await createTestApp(); // the default limits: 20 starts per person and phone per hour
  });
  afterAll(async () => {
    await v?.close();
  });

  it("a stranger's 25 starts with the victim's RRN and another phone fill the stranger's own bucket: the victim still starts and verifies", async () => {
    const victim = syntheticRrn('1984-04-14', 4141);
    const stranger = { method: 'phone', name: '박', rrn: victim, phone: '010-6666-0000' };
    const codes: number[] = [];
    for (let i = 0; i < 25; i++) {
      codes.push((await v.app.inject({ method: 'POST', url: `${API}/identity/challenges`, remoteAddress: '10.9.0.1', payload: stranger })).statusCode);
    }
    // The stranger is limited (their own RRN + phone bucket)…
    expect(codes.filter((c) => c === 201)).toHaveLength(v.config.challengesPerPersonPerHour);
    expect(codes.filter((c) => c === 429)).toHaveLength(25 - v.config.challengesPerPersonPerHour);
    // …the victim, with their own phone, is not.
    const own = await v.app.inject({ method: 'POST', url: `${API}/identity/challenges`, remoteAddress: '10.9.0.2', payload: { method: 'phone', name: '김', rrn: victim, phone: phoneOf(victim) } });
    expect(own.statusCode, own.body).toBe(201);
    const verified = await v.app.inject({ method: 'POST', url: `${API}/identity/challenges/${own.json().challengeId}/verify`, payload: { code: '000000' } });
    expect(verified.statusCode, verified.body).toBe(200);
    // And a stranger who then verifies with the victim's RRN is refused: the RRN is the victim's.
    const late = await v.app.inject({ method: 'POST', url: `${API}/identity/challenges`, remoteAddress: '10.9.0.3', payload: { ...stranger, phone: '010-6666-0001' } });
    expect(late.statusCode, late.body).toBe(201);
    const refused = await v.app.inject({ method: 'POST', url: `${API}/identity/challenges/${late.json().challengeId}/verify`, payload: { code: '000000' } });
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().error.code).toBe('YEYAK_E_IDENTITY_MISMATCH');
  });
});
