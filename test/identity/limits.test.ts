/**
 * Identity-start limits (issue #4): per client address, per phone and per person (keyed by the
 * RRN's keyed hash, never the RRN), each a 429 YEYAK_E_RATE_LIMITED naming the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';

const API = '/api/v1';
const PER_IP = 4;
const PER_PHONE = 2;
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
  it('per phone: the third start for one phone within the hour → 429 (limit: phone), from any address, for anyone', async () => {
    const phone = '010-7000-0001';
    for (let i = 0; i < PER_PHONE; i++) expect((await start({ ip: `10.1.0.${i + 1}`, phone, rrn: rrn() })).statusCode).toBe(201);
    const res = await start({ ip: '10.1.0.99', phone, rrn: rrn() });
    expect(res.statusCode).toBe(429);
    expect(res.json().error).toMatchObject({ code: 'YEYAK_E_RATE_LIMITED', details: { limit: 'phone' } });
    // Another phone is not affected.
    expect((await start({ ip: '10.1.0.100', phone: '010-7000-0002', rrn: rrn() })).statusCode).toBe(201);
  });

  it('per person: the fourth start for one RRN within the hour → 429 (limit: person), whatever phone or address', async () => {
    const person = rrn();
    for (let i = 0; i < PER_PERSON; i++) {
      expect((await start({ ip: `10.2.0.${i + 1}`, phone: `010-7100-000${i}`, rrn: person })).statusCode).toBe(201);
    }
    const res = await start({ ip: '10.2.0.99', phone: '010-7100-0099', rrn: person });
    expect(res.statusCode).toBe(429);
    expect(res.json().error).toMatchObject({ code: 'YEYAK_E_RATE_LIMITED', details: { limit: 'person' } });
    // The same person with the RRN written without the dash is the same person.
    const compact = await start({ ip: '10.2.0.98', phone: '010-7100-0098', rrn: person.replace('-', '') });
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
