/**
 * Every bad input to the HTTP API gets a fitting 4xx with a catalogue code, never a 5xx:
 * `{"error": {"code": "YEYAK_E_…", "message": "…"}}` (docs/contract.md, HTTP API).
 *
 * Table-driven: each table row is one request and the status and code(s) it must get. Every
 * response of this file goes through `call()`, which records the error codes it saw; the last test
 * checks them all against the catalogue.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createTestApp, phoneOf, syntheticRrn, type TestApp, TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { errorCatalogue, type ErrorCode } from '../../src/core/errors.ts';
import { isPlainText } from '../../src/core/schemas.ts';
import { SessionSigner } from '../../src/identity/session.ts';
import { CHALLENGE_TOKEN_LENGTH_MAX } from '../../src/identity/challenge-token.ts';
import { addDays, localDay } from '../../src/rules/time.ts';

const API = '/api/v1';
const ADMIN_TOKEN = TEST_ADMIN_TOKEN;
/** Well-formed (matches bookingNumberPattern) but never issued. */
const UNKNOWN_BOOKING = '2222-2222-2222';
/** Well-formed challenge id that was never issued. */
const UNKNOWN_CHALLENGE = 'AAAAAAAAAAAAAAAAAAAAAA';
const BODY_LIMIT = 16 * 1024;

let t: TestApp;
/** Demo's today (Asia/Seoul) and its campaign days, read from the API. */
let today: string;
let firstShotDay: string;
let lastShotDay: string;
/** A session for requests that are refused before the person matters (schema errors). */
let bystander: string;

/** Every error code any response of this file carried (checked against the catalogue at the end). */
const seen = new Map<string, string>();

async function call(opts: InjectOptions): Promise<LightMyRequestResponse> {
  const res = await t.app.inject(opts);
  if (res.statusCode >= 400) {
    let code = `<no catalogue body: ${res.body.slice(0, 120)}>`;
    try {
      const parsed = JSON.parse(res.body) as { error?: { code?: unknown } };
      if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    } catch {
      // recorded as not a catalogue body
    }
    if (!seen.has(code)) seen.set(code, `${opts.method ?? 'GET'} ${String(opts.url)} → ${res.statusCode}`);
  }
  return res;
}

/** Asserts the response is `status` with one of `codes`, in the catalogue shape, status matching the catalogue. */
function expectError(res: LightMyRequestResponse, status: number, codes: ErrorCode | readonly ErrorCode[]): { code: string; message: string; details?: Record<string, unknown> } {
  const allowed: readonly string[] = typeof codes === 'string' ? [codes] : codes;
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  let body: { error?: { code?: unknown; message?: unknown; details?: Record<string, unknown> } };
  try {
    body = JSON.parse(res.body) as typeof body;
  } catch {
    throw new Error(`not JSON: ${res.body}`);
  }
  expect(body.error, res.body).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
  const err = body.error as { code: string; message: string; details?: Record<string, unknown> };
  expect(allowed, res.body).toContain(err.code);
  expect(err.message.length).toBeGreaterThan(0);
  expect(errorCatalogue[err.code as ErrorCode].status, `${err.code}'s catalogue status`).toBe(res.statusCode);
  return err;
}

let serial = 1;
/** A distinct synthetic person. */
const nextRrn = (birth = '1990-05-05') => syntheticRrn(birth, serial++);
const newSession = (birth?: string) => t.login(nextRrn(birth));
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function reservationCount(): Promise<number> {
  const r = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reservation');
  return r.rows[0]?.n ?? -1;
}

async function remainingSum(): Promise<number> {
  const r = await t.db.query<{ n: number }>("SELECT sum(remaining)::int AS n FROM slot WHERE campaign_id = 'demo'");
  return r.rows[0]?.n ?? -1;
}

beforeAll(async () => {
  t = await createTestApp();
  const campaigns = (await t.app.inject({ method: 'GET', url: `${API}/campaigns` })).json() as { id: string; timeZone: string; firstShotDay: string; lastShotDay: string }[];
  const demo = campaigns.find((c) => c.id === 'demo');
  if (!demo) throw new Error('demo campaign missing');
  today = localDay(t.clock.now(), demo.timeZone);
  firstShotDay = demo.firstShotDay;
  lastShotDay = demo.lastShotDay;
  bystander = await newSession();
});

afterAll(async () => {
  await t?.close();
});

// -------------------------------------------------------------------------------------------------
// Bodies: the same malformations on every endpoint that takes one

interface BodyEndpoint {
  name: string;
  method: 'POST' | 'PATCH';
  url: string;
  headers: () => Record<string, string>;
  valid: () => Record<string, unknown>;
  /** `valid()` with a number where a string belongs. */
  wrongType: () => Record<string, unknown>;
  /** What `valid()` alone gets: proves the bad cases fail for their own reason, not another. */
  control: { status: number; code?: ErrorCode };
}

const bodyEndpoints: BodyEndpoint[] = [
  {
    name: 'POST /identity/challenges',
    method: 'POST',
    url: `${API}/identity/challenges`,
    headers: () => ({}),
    valid: () => ({ method: 'phone', name: '테스트', rrn: nextRrn(), phone: '010-1234-5678' }),
    wrongType: () => ({ method: 'phone', name: '테스트', rrn: 9005051000001, phone: '010-1234-5678' }),
    control: { status: 201 },
  },
  {
    name: 'POST /identity/challenges/{id}/verify',
    method: 'POST',
    url: `${API}/identity/challenges/${UNKNOWN_CHALLENGE}/verify`,
    headers: () => ({}),
    valid: () => ({ code: '000000' }),
    wrongType: () => ({ code: 0 }),
    control: { status: 404, code: 'YEYAK_E_CHALLENGE_NOT_FOUND' },
  },
  {
    name: 'POST /reservations',
    method: 'POST',
    url: `${API}/reservations`,
    headers: () => ({ ...bearer(bystander), 'idempotency-key': 'bad-input-body-1' }),
    valid: () => ({ campaignId: 'demo', clinicId: 'C000001', date: 'VALID' }),
    wrongType: () => ({ campaignId: 'demo', clinicId: 1, date: firstShotDay }),
    // The bystander never books: control posts with its own person (see the control test).
    control: { status: 201 },
  },
  {
    name: 'PATCH /reservations/{bookingNumber}',
    method: 'PATCH',
    url: `${API}/reservations/${UNKNOWN_BOOKING}`,
    headers: () => bearer(bystander),
    valid: () => ({ date: 'VALID' }),
    wrongType: () => ({ date: 20261127 }),
    control: { status: 404, code: 'YEYAK_E_RESERVATION_NOT_FOUND' },
  },
];

/** `valid()` with the placeholder date filled in (known only after beforeAll). */
function validBody(e: BodyEndpoint): Record<string, unknown> {
  const body = e.valid();
  if (body.date === 'VALID') body.date = addDays(firstShotDay, 2);
  return body;
}

interface BodyCase {
  name: string;
  request: (e: BodyEndpoint) => Pick<InjectOptions, 'payload' | 'headers'>;
  status: number;
  code: ErrorCode;
}

const json = { 'content-type': 'application/json' };
const bodyCases: BodyCase[] = [
  { name: 'malformed JSON', request: () => ({ headers: json, payload: '{"code": "000000",' }), status: 400, code: 'YEYAK_E_INVALID_JSON' },
  { name: 'trailing garbage after JSON', request: (e) => ({ headers: json, payload: `${JSON.stringify(validBody(e))}}` }), status: 400, code: 'YEYAK_E_INVALID_JSON' },
  { name: 'empty body declared as JSON', request: () => ({ headers: json, payload: '' }), status: 400, code: 'YEYAK_E_INVALID_JSON' },
  { name: 'no body at all', request: () => ({}), status: 400, code: 'YEYAK_E_VALIDATION' },
  { name: 'JSON null', request: () => ({ headers: json, payload: 'null' }), status: 400, code: 'YEYAK_E_VALIDATION' },
  { name: 'JSON array', request: (e) => ({ headers: json, payload: JSON.stringify([validBody(e)]) }), status: 400, code: 'YEYAK_E_VALIDATION' },
  { name: 'JSON string', request: () => ({ headers: json, payload: '"hello"' }), status: 400, code: 'YEYAK_E_VALIDATION' },
  { name: 'text/plain carrying valid JSON', request: (e) => ({ headers: { 'content-type': 'text/plain' }, payload: JSON.stringify(validBody(e)) }), status: 415, code: 'YEYAK_E_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'form-urlencoded', request: () => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'code=000000' }), status: 415, code: 'YEYAK_E_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'application/xml', request: () => ({ headers: { 'content-type': 'application/xml' }, payload: '<code>000000</code>' }), status: 415, code: 'YEYAK_E_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'wrong type (number for string)', request: (e) => ({ headers: json, payload: JSON.stringify(e.wrongType()) }), status: 400, code: 'YEYAK_E_VALIDATION' },
  { name: 'unknown field', request: (e) => ({ headers: json, payload: JSON.stringify({ ...validBody(e), admin: true }) }), status: 400, code: 'YEYAK_E_VALIDATION' },
  { name: '__proto__ key (prototype poisoning)', request: (e) => ({ headers: json, payload: `{"__proto__":{"admin":true},${JSON.stringify(validBody(e)).slice(1)}` }), status: 400, code: 'YEYAK_E_INVALID_JSON' },
  {
    name: `oversized JSON (> ${BODY_LIMIT} bytes)`,
    request: (e) => ({ headers: json, payload: JSON.stringify({ ...validBody(e), pad: 'x'.repeat(BODY_LIMIT) }) }),
    status: 413,
    code: 'YEYAK_E_BODY_TOO_LARGE',
  },
  // The media type is refused before the body is read, so its size does not matter.
  { name: 'oversized text/plain', request: () => ({ headers: { 'content-type': 'text/plain' }, payload: 'x'.repeat(BODY_LIMIT + 1) }), status: 415, code: 'YEYAK_E_UNSUPPORTED_MEDIA_TYPE' },
  {
    name: 'oversized JSON without content-length (chunked)',
    request: (e) => ({ headers: { ...json, 'transfer-encoding': 'chunked' }, payload: JSON.stringify({ ...validBody(e), pad: 'x'.repeat(BODY_LIMIT) }) }),
    status: 413,
    code: 'YEYAK_E_BODY_TOO_LARGE',
  },
];

describe.each(bodyEndpoints)('$name: malformed bodies', (endpoint) => {
  it('control: the valid body passes the schema', async () => {
    const headers = endpoint.name === 'POST /reservations' ? { ...bearer(await newSession()), 'idempotency-key': `control-${serial}` } : endpoint.headers();
    const res = await call({ method: endpoint.method, url: endpoint.url, headers, payload: validBody(endpoint) });
    if (endpoint.control.code) expectError(res, endpoint.control.status, endpoint.control.code);
    else expect(res.statusCode, res.body).toBe(endpoint.control.status);
  });

  it.each(bodyCases)('$name → $status $code', async (c) => {
    const before = await reservationCount();
    const req = c.request(endpoint);
    const res = await call({ method: endpoint.method, url: endpoint.url, ...req, headers: { ...endpoint.headers(), ...(req.headers as Record<string, string>) } });
    const err = expectError(res, c.status, c.code);
    if (c.name === 'unknown field') expect(err.details?.keyword).toBe('additionalProperties');
    expect(await reservationCount()).toBe(before);
  });
});

it('never a 5xx: arbitrary JSON bodies on every body endpoint', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...bodyEndpoints), fc.jsonValue({ maxDepth: 3 }), async (endpoint, value) => {
      const res = await call({ method: endpoint.method, url: endpoint.url, headers: { ...endpoint.headers(), ...json }, payload: JSON.stringify(value) });
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, res.body).toBeLessThan(500);
      expectError(res, res.statusCode, Object.keys(errorCatalogue) as ErrorCode[]);
    }),
    { numRuns: 120, seed: 20210809 },
  );
});

// -------------------------------------------------------------------------------------------------
// Identity

describe('POST /identity/challenges: bad fields', () => {
  const base = () => ({ method: 'phone', name: '테스트', rrn: nextRrn(), phone: '010-1234-5678' });
  const cases: { name: string; patch: Record<string, unknown>; status: number; code: ErrorCode | ErrorCode[]; reason?: string }[] = [
    { name: 'missing method', patch: { method: undefined }, status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'unknown method', patch: { method: 'email' }, status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'empty name', patch: { name: '' }, status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: '41-character name', patch: { name: '가'.repeat(41) }, status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'RRN: 30 Feb', patch: { rrn: '900230-1000001' }, status: 400, code: 'YEYAK_E_RRN_INVALID', reason: 'DATE' },
    { name: 'RRN: month 13', patch: { rrn: '901301-1000001' }, status: 400, code: 'YEYAK_E_RRN_INVALID', reason: 'DATE' },
    { name: 'RRN: day 00', patch: { rrn: '900100-1000001' }, status: 400, code: 'YEYAK_E_RRN_INVALID', reason: 'DATE' },
    { name: 'RRN: 29 Feb 1900 (not a leap year)', patch: { rrn: '000229-1000001' }, status: 400, code: 'YEYAK_E_RRN_INVALID', reason: 'DATE' },
    { name: 'RRN: letters', patch: { rrn: 'abcdef-1000001' }, status: 400, code: 'YEYAK_E_RRN_INVALID', reason: 'FORMAT' },
    { name: 'RRN: wrong separator', patch: { rrn: '900505/1000001' }, status: 400, code: 'YEYAK_E_RRN_INVALID', reason: 'FORMAT' },
    { name: 'RRN: full-width digits', patch: { rrn: '９００５０５1000001' }, status: 400, code: 'YEYAK_E_RRN_INVALID', reason: 'FORMAT' },
    { name: 'RRN: too short', patch: { rrn: '900505-10000' }, status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'RRN: too long', patch: { rrn: '900505-10000011' }, status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'phone: landline', patch: { phone: '02-1234-5678' }, status: 400, code: ['YEYAK_E_VALIDATION', 'YEYAK_E_PHONE_INVALID'] },
    { name: 'phone: 020 prefix', patch: { phone: '020-1234-5678' }, status: 400, code: ['YEYAK_E_VALIDATION', 'YEYAK_E_PHONE_INVALID'] },
    { name: 'phone: letters', patch: { phone: '010-abcd-5678' }, status: 400, code: ['YEYAK_E_VALIDATION', 'YEYAK_E_PHONE_INVALID'] },
    { name: 'phone: international form', patch: { phone: '+821012345678' }, status: 400, code: ['YEYAK_E_VALIDATION', 'YEYAK_E_PHONE_INVALID'] },
    { name: 'phone: number', patch: { phone: 1012345678 }, status: 400, code: 'YEYAK_E_VALIDATION' },
  ];
  it.each(cases)('$name → $status $code', async (c) => {
    const before = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM identity_challenge');
    const res = await call({ method: 'POST', url: `${API}/identity/challenges`, payload: { ...base(), ...c.patch } });
    const err = expectError(res, c.status, c.code);
    if (c.reason) expect(err.details?.reason).toBe(c.reason);
    const after = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM identity_challenge');
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it('never a 5xx: arbitrary digit strings as RRN → 201 or RRN_INVALID', async () => {
    const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
    await fc.assert(
      fc.asyncProperty(digits(6), digits(7), fc.boolean(), async (front, back, dash) => {
        const rrn = dash ? `${front}-${back}` : `${front}${back}`;
        const res = await call({ method: 'POST', url: `${API}/identity/challenges`, payload: { ...base(), rrn } });
        if (res.statusCode !== 201) expectError(res, 400, 'YEYAK_E_RRN_INVALID');
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});

describe('POST /identity/challenges/{id}/verify', () => {
  async function challenge(): Promise<string> {
    const rrn = nextRrn(); // its own phone: one name + phone is one person (issue #7)
    const res = await call({ method: 'POST', url: `${API}/identity/challenges`, payload: { method: 'kakao', name: '테스트', rrn, phone: phoneOf(rrn) } });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { challengeId: string }).challengeId;
  }
  const verify = (id: string, code: unknown) => call({ method: 'POST', url: `${API}/identity/challenges/${id}/verify`, payload: { code } });

  const cases: { name: string; id?: string; code: unknown; status: number; error: ErrorCode }[] = [
    { name: 'five digits', code: '00000', status: 400, error: 'YEYAK_E_VALIDATION' },
    { name: 'seven digits', code: '0000000', status: 400, error: 'YEYAK_E_VALIDATION' },
    { name: 'letters', code: '00000a', status: 400, error: 'YEYAK_E_VALIDATION' },
    { name: 'null', code: null, status: 400, error: 'YEYAK_E_VALIDATION' },
    { name: 'id with a dot', id: 'abc.def', code: '000000', status: 400, error: 'YEYAK_E_VALIDATION' },
    { name: 'id longer than a challenge token', id: 'a'.repeat(CHALLENGE_TOKEN_LENGTH_MAX + 1), code: '000000', status: 400, error: 'YEYAK_E_VALIDATION' },
    { name: 'id of a challenge token’s shape, not sealed by the server', id: `c1${'a'.repeat(300)}`, code: '000000', status: 404, error: 'YEYAK_E_CHALLENGE_NOT_FOUND' },
    { name: 'unknown id', id: UNKNOWN_CHALLENGE, code: '000000', status: 404, error: 'YEYAK_E_CHALLENGE_NOT_FOUND' },
  ];
  it.each(cases)('$name → $status $error', async (c) => {
    const id = c.id ?? (await challenge());
    expectError(await verify(id, c.code), c.status, c.error);
    if (!c.id) {
      // A schema error does not spend an attempt: the right code still works.
      const ok = await verify(id, '000000');
      expect(ok.statusCode, ok.body).toBe(200);
    }
  });

  it('wrong code → 401 CODE_WRONG; the right code afterwards still verifies', async () => {
    const id = await challenge();
    expectError(await verify(id, '123456'), 401, 'YEYAK_E_CODE_WRONG');
    const ok = await verify(id, '000000');
    expect(ok.statusCode, ok.body).toBe(200);
    expect((ok.json() as { sessionToken: string }).sessionToken).toMatch(/^[\w-]+\.[\w-]+$/);
  });

  it('five wrong codes lock the challenge: the sixth attempt, even right, → 429 CHALLENGE_LOCKED', async () => {
    const id = await challenge();
    for (let i = 0; i < 5; i++) expectError(await verify(id, String(111111 + i)), 401, 'YEYAK_E_CODE_WRONG');
    expectError(await verify(id, '000000'), 429, 'YEYAK_E_CHALLENGE_LOCKED');
    expectError(await verify(id, '654321'), 429, 'YEYAK_E_CHALLENGE_LOCKED');
  });

  it('parallel wrong guesses cannot exceed the limit', async () => {
    const id = await challenge();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => verify(id, String(200000 + i))));
    const wrong = results.filter((r) => r.statusCode === 401);
    const locked = results.filter((r) => r.statusCode === 429);
    expect(wrong).toHaveLength(5);
    expect(locked).toHaveLength(7);
    for (const r of wrong) expectError(r, 401, 'YEYAK_E_CODE_WRONG');
    for (const r of locked) expectError(r, 429, 'YEYAK_E_CHALLENGE_LOCKED');
    expectError(await verify(id, '000000'), 429, 'YEYAK_E_CHALLENGE_LOCKED');
  });

  it('a verified challenge cannot be used again → 404 CHALLENGE_NOT_FOUND', async () => {
    const id = await challenge();
    expect((await verify(id, '000000')).statusCode).toBe(200);
    expectError(await verify(id, '000000'), 404, 'YEYAK_E_CHALLENGE_NOT_FOUND');
  });

  it('an expired challenge (challengeTtlMs later) → 404 CHALLENGE_NOT_FOUND', async () => {
    const id = await challenge();
    const start = t.clock.nowMs();
    try {
      t.clock.advance(t.config.challengeTtlMs);
      expectError(await verify(id, '000000'), 404, 'YEYAK_E_CHALLENGE_NOT_FOUND');
    } finally {
      t.clock.set(start);
    }
  });
});

// -------------------------------------------------------------------------------------------------
// Campaign reads: unknown ids, bad query strings

describe('campaign reads: unknown ids and bad parameters', () => {
  const cases: { name: string; url: string; session?: boolean; status: number; code: ErrorCode }[] = [
    { name: 'clinics of an unknown campaign', url: '/campaigns/no-such-campaign/clinics', status: 404, code: 'YEYAK_E_CAMPAIGN_NOT_FOUND' },
    { name: 'dates of an unknown campaign', url: '/campaigns/no-such-campaign/clinics/C000001/dates', status: 404, code: 'YEYAK_E_CAMPAIGN_NOT_FOUND' },
    { name: 'eligibility in an unknown campaign', url: '/campaigns/no-such-campaign/eligibility', session: true, status: 404, code: 'YEYAK_E_CAMPAIGN_NOT_FOUND' },
    { name: 'dates of an unknown clinic', url: '/campaigns/demo/clinics/C999999/dates', status: 404, code: 'YEYAK_E_CLINIC_NOT_FOUND' },
    { name: 'unknown 시/도 code', url: '/campaigns/demo/clinics?region=99', status: 404, code: 'YEYAK_E_REGION_NOT_FOUND' },
    { name: 'unknown 시/군/구 code', url: '/campaigns/demo/clinics?region=11999', status: 404, code: 'YEYAK_E_REGION_NOT_FOUND' },
    { name: 'region: letters', url: '/campaigns/demo/clinics?region=seoul', status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'region: one digit', url: '/campaigns/demo/clinics?region=1', status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'region: three digits', url: '/campaigns/demo/clinics?region=111', status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'region: empty', url: '/campaigns/demo/clinics?region=', status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'region given twice', url: '/campaigns/demo/clinics?region=11&region=26', status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'unknown query parameter', url: '/campaigns/demo/clinics?sort=remaining', status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'campaign id with a bad character', url: '/campaigns/demo!/clinics', status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: '65-character campaign id', url: `/campaigns/${'d'.repeat(65)}/clinics`, status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'clinic id with a bad character', url: '/campaigns/demo/clinics/C0000%2001/dates', status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'eligibility: campaign id with a bad character', url: '/campaigns/de_mo/eligibility', session: true, status: 400, code: 'YEYAK_E_VALIDATION' },
  ];
  it.each(cases)('$name → $status $code', async (c) => {
    const res = await call({ method: 'GET', url: `${API}${c.url}`, headers: c.session ? bearer(await newSession()) : {} });
    expectError(res, c.status, c.code);
  });
});

// -------------------------------------------------------------------------------------------------
// Booking: idempotency keys, dates, ids

describe('POST /reservations: bad booking requests', () => {
  const body = (over: Record<string, unknown> = {}) => ({ campaignId: 'demo', clinicId: 'C000002', date: addDays(firstShotDay, 1), ...over });

  // Absent → REQUIRED; sent but malformed → INVALID, whose message states the rule (8–64 characters).
  const keyCases: { name: string; key?: string | string[]; code: ErrorCode }[] = [
    { name: 'missing', code: 'YEYAK_E_IDEMPOTENCY_KEY_REQUIRED' },
    { name: 'empty', key: '', code: 'YEYAK_E_IDEMPOTENCY_KEY_INVALID' },
    { name: '5 characters (the old README example try-1)', key: 'try-1', code: 'YEYAK_E_IDEMPOTENCY_KEY_INVALID' },
    { name: '7 characters', key: 'abcdefg', code: 'YEYAK_E_IDEMPOTENCY_KEY_INVALID' },
    { name: '65 characters', key: 'k'.repeat(65), code: 'YEYAK_E_IDEMPOTENCY_KEY_INVALID' },
    { name: 'a space', key: 'abc defgh', code: 'YEYAK_E_IDEMPOTENCY_KEY_INVALID' },
    { name: 'non-ASCII', key: '예약키예약키예약키', code: 'YEYAK_E_IDEMPOTENCY_KEY_INVALID' },
    { name: 'sent twice', key: ['abcdefgh1', 'abcdefgh2'], code: 'YEYAK_E_IDEMPOTENCY_KEY_INVALID' },
  ];
  it.each(keyCases)('Idempotency-Key $name → 400 $code, nothing booked', async (c) => {
    const [before, capacity] = [await reservationCount(), await remainingSum()];
    const headers: Record<string, string | string[]> = bearer(await newSession());
    if (c.key !== undefined) headers['idempotency-key'] = c.key;
    const err = expectError(await call({ method: 'POST', url: `${API}/reservations`, headers, payload: body() }), 400, c.code);
    expect(err.message).toContain('8–64');
    expect(await reservationCount()).toBe(before);
    expect(await remainingSum()).toBe(capacity);
  });

  const cases: { name: string; body: () => Record<string, unknown>; status: number; code: ErrorCode }[] = [
    { name: 'date 30 Feb', body: () => body({ date: '2026-02-30' }), status: 400, code: 'YEYAK_E_DATE_INVALID' },
    { name: 'date 29 Feb in a common year', body: () => body({ date: '2027-02-29' }), status: 400, code: 'YEYAK_E_DATE_INVALID' },
    { name: 'date month 13', body: () => body({ date: '2026-13-01' }), status: 400, code: 'YEYAK_E_DATE_INVALID' },
    { name: 'date day 00', body: () => body({ date: '2026-12-00' }), status: 400, code: 'YEYAK_E_DATE_INVALID' },
    { name: 'date 31 Nov', body: () => body({ date: '2026-11-31' }), status: 400, code: 'YEYAK_E_DATE_INVALID' },
    { name: 'date without zero padding', body: () => body({ date: '2026-12-1' }), status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'date with slashes', body: () => body({ date: '2026/12/01' }), status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'date-time instead of a date', body: () => body({ date: '2026-12-01T09:00:00+09:00' }), status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'date as a number', body: () => body({ date: 20261201 }), status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'date missing', body: () => body({ date: undefined }), status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'date today (lead time: tomorrow at the earliest)', body: () => body({ date: today }), status: 409, code: 'YEYAK_E_DATE_NOT_OFFERED' },
    { name: 'date after the last shot day', body: () => body({ date: addDays(lastShotDay, 1) }), status: 409, code: 'YEYAK_E_DATE_NOT_OFFERED' },
    { name: 'date in the past', body: () => body({ date: '2020-01-01' }), status: 409, code: 'YEYAK_E_DATE_NOT_OFFERED' },
    { name: 'unknown campaign', body: () => body({ campaignId: 'no-such-campaign' }), status: 404, code: 'YEYAK_E_CAMPAIGN_NOT_FOUND' },
    { name: 'campaign id with a bad character', body: () => body({ campaignId: 'demo;drop' }), status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'unknown clinic', body: () => body({ clinicId: 'C999999' }), status: 404, code: 'YEYAK_E_CLINIC_NOT_FOUND' },
    { name: 'empty clinic id', body: () => body({ clinicId: '' }), status: 400, code: 'YEYAK_E_VALIDATION' },
    { name: 'clinic id as a number', body: () => body({ clinicId: 2 }), status: 400, code: 'YEYAK_E_VALIDATION' },
  ];
  it.each(cases)('$name → $status $code, nothing booked', async (c) => {
    const [before, capacity] = [await reservationCount(), await remainingSum()];
    const session = await newSession();
    const res = await call({ method: 'POST', url: `${API}/reservations`, headers: { ...bearer(session), 'idempotency-key': `bad-${serial}-key` }, payload: c.body() });
    expectError(res, c.status, c.code);
    expect(await reservationCount()).toBe(before);
    expect(await remainingSum()).toBe(capacity);
    // The person can still book: the refusal left nothing behind (no half-used idempotency key either).
    const eligibility = await call({ method: 'GET', url: `${API}/campaigns/demo/eligibility`, headers: bearer(session) });
    expect(eligibility.json()).toMatchObject({ eligible: true, reasons: [] });
  });
});

describe('/reservations/{bookingNumber}: bad numbers and bad changes', () => {
  const methods = ['GET', 'PATCH', 'DELETE'] as const;
  const badNumbers = ['XXXX', '2222-2222-222', '2222-2222-2222-2222', '2222-2222-222I', '2222-2222-222o', '2222_2222_2222', '0000-0000-0000'];
  it.each(methods.flatMap((method) => badNumbers.map((number) => ({ method, number }))))('$method malformed $number → 400 VALIDATION', async (c) => {
    const res = await call({ method: c.method, url: `${API}/reservations/${c.number}`, headers: bearer(bystander), ...(c.method === 'PATCH' ? { payload: { date: firstShotDay } } : {}) });
    expectError(res, 400, 'YEYAK_E_VALIDATION');
  });

  it.each(methods)('%s an unknown (well-formed) number → 404 RESERVATION_NOT_FOUND', async (method) => {
    const res = await call({ method, url: `${API}/reservations/${UNKNOWN_BOOKING}`, headers: bearer(await newSession()), ...(method === 'PATCH' ? { payload: { date: firstShotDay } } : {}) });
    expectError(res, 404, 'YEYAK_E_RESERVATION_NOT_FOUND');
  });

  it('PATCH with an empty object → 400 VALIDATION', async () => {
    expectError(await call({ method: 'PATCH', url: `${API}/reservations/${UNKNOWN_BOOKING}`, headers: bearer(bystander), payload: {} }), 400, 'YEYAK_E_VALIDATION');
  });

  it('bad changes to a live booking are refused and change nothing', async () => {
    const session = await newSession();
    const day = addDays(firstShotDay, 3);
    const booked = await call({ method: 'POST', url: `${API}/reservations`, headers: { ...bearer(session), 'idempotency-key': 'bad-change-setup' }, payload: { campaignId: 'demo', clinicId: 'C000003', date: day } });
    expect(booked.statusCode, booked.body).toBe(201);
    const bookingNumber = (booked.json() as { bookingNumber: string }).bookingNumber;
    const url = `${API}/reservations/${bookingNumber}`;
    const capacity = await remainingSum();

    const changes: { name: string; payload: unknown; status: number; code: ErrorCode }[] = [
      { name: 'impossible date', payload: { date: '2026-02-30' }, status: 400, code: 'YEYAK_E_DATE_INVALID' },
      { name: 'unknown clinic', payload: { clinicId: 'C999999' }, status: 404, code: 'YEYAK_E_CLINIC_NOT_FOUND' },
      { name: 'date not offered (today)', payload: { date: today }, status: 409, code: 'YEYAK_E_DATE_NOT_OFFERED' },
      { name: 'date not offered (after the last shot day)', payload: { date: addDays(lastShotDay, 1) }, status: 409, code: 'YEYAK_E_DATE_NOT_OFFERED' },
      { name: 'the same date', payload: { date: day }, status: 400, code: 'YEYAK_E_CHANGE_NOTHING' },
      { name: 'the same clinic', payload: { clinicId: 'C000003' }, status: 400, code: 'YEYAK_E_CHANGE_NOTHING' },
      { name: 'the same clinic and date', payload: { clinicId: 'C000003', date: day }, status: 400, code: 'YEYAK_E_CHANGE_NOTHING' },
      { name: 'unknown field', payload: { date: addDays(day, 1), status: 'cancelled' }, status: 400, code: 'YEYAK_E_VALIDATION' },
      { name: 'clinic id as a number', payload: { clinicId: 3 }, status: 400, code: 'YEYAK_E_VALIDATION' },
      { name: 'null date', payload: { date: null }, status: 400, code: 'YEYAK_E_VALIDATION' },
    ];
    for (const c of changes) {
      const res = await call({ method: 'PATCH', url, headers: bearer(session), payload: c.payload as InjectOptions['payload'] });
      expectError(res, c.status, c.code);
    }
    const after = await call({ method: 'GET', url, headers: bearer(session) });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ status: 'confirmed', doses: [{ dose: 1, date: day, clinicId: 'C000003' }, { dose: 2, clinicId: 'C000003' }] });
    expect(await remainingSum()).toBe(capacity);
  });
});

// -------------------------------------------------------------------------------------------------
// Sessions: every session endpoint refuses a missing, forged or expired session

interface SessionEndpoint {
  name: string;
  request: () => InjectOptions;
}
const sessionEndpoints: SessionEndpoint[] = [
  { name: 'GET /campaigns/demo/eligibility', request: () => ({ method: 'GET', url: `${API}/campaigns/demo/eligibility` }) },
  {
    name: 'POST /reservations',
    request: () => ({ method: 'POST', url: `${API}/reservations`, headers: { 'idempotency-key': 'session-check-1' }, payload: { campaignId: 'demo', clinicId: 'C000004', date: addDays(firstShotDay, 1) } }),
  },
  { name: 'GET /reservations/{n}', request: () => ({ method: 'GET', url: `${API}/reservations/${UNKNOWN_BOOKING}` }) },
  { name: 'PATCH /reservations/{n}', request: () => ({ method: 'PATCH', url: `${API}/reservations/${UNKNOWN_BOOKING}`, payload: { date: addDays(firstShotDay, 2) } }) },
  { name: 'DELETE /reservations/{n}', request: () => ({ method: 'DELETE', url: `${API}/reservations/${UNKNOWN_BOOKING}` }) },
];

function withAuth(req: InjectOptions, headers: Record<string, string>): InjectOptions {
  return { ...req, headers: { ...(req.headers as Record<string, string> | undefined), ...headers } };
}

/** A sealed session token ("s1." base64url) with one bit of its byte `at` flipped. */
function flipBit(token: string, at: number): string {
  const sealed = Buffer.from(token.slice(3), 'base64url');
  sealed[at] = (sealed[at] as number) ^ 0x01;
  return `${token.slice(0, 3)}${sealed.toString('base64url')}`;
}

/** Forgeries of a genuine token (made per test). */
const forgeries: { name: string; headers: (genuine: string) => Record<string, string> }[] = [
  { name: 'no credentials', headers: () => ({}) },
  { name: 'Basic scheme', headers: (g) => ({ authorization: `Basic ${g}` }) },
  { name: 'Bearer without a token', headers: () => ({ authorization: 'Bearer ' }) },
  { name: 'Bearer garbage', headers: () => ({ authorization: 'Bearer not-a-session-token' }) },
  { name: 'Bearer garbage with a dot', headers: () => ({ authorization: 'Bearer abc.def' }) },
  // Tokens are sealed (AES-256-GCM, issue #7): the claims cannot be edited, only bits flipped.
  { name: 'sealed claims changed (a ciphertext bit flipped)', headers: (g) => bearer(flipBit(g, 30)) },
  { name: 'IV changed (its first bit flipped)', headers: (g) => bearer(flipBit(g, 0)) },
  { name: 'signature truncated', headers: (g) => bearer(g.slice(0, -4)) },
  { name: 'signature removed', headers: (g) => bearer(`${g.split('.')[0]}.`) },
  {
    name: 'signed with another secret',
    headers: () => bearer(new SessionSigner('not-the-server-secret', t.clock, 60_000).issue(1, { birthDate: '1990-05-05', sex: 'M', foreignResident: false }).token),
  },
  { name: 'oversized token', headers: (g) => bearer(`${g}${'A'.repeat(600)}`) },
  { name: 'forged cookie', headers: () => ({ cookie: 'yeyak_session=abc.def' }) },
  { name: 'cookie with bad percent-encoding', headers: () => ({ cookie: 'yeyak_session=%zz%' }) },
];

describe.each(sessionEndpoints)('$name: session required', (endpoint) => {
  it.each(forgeries)('$name → 401 UNAUTHENTICATED', async (f) => {
    const genuine = await newSession();
    const before = await reservationCount();
    expectError(await call(withAuth(endpoint.request(), f.headers(genuine))), 401, 'YEYAK_E_UNAUTHENTICATED');
    expect(await reservationCount()).toBe(before);
  });

  it('expired session (sessionTtlMs later), as bearer or cookie → 401 SESSION_EXPIRED; a second earlier it still works', async () => {
    const token = await newSession();
    const start = t.clock.nowMs();
    try {
      t.clock.advance(t.config.sessionTtlMs - 1000);
      const alive = await call(withAuth(endpoint.request(), bearer(token)));
      expect(alive.statusCode, alive.body).not.toBe(401);
      t.clock.advance(1000);
      const before = await reservationCount();
      expectError(await call(withAuth(endpoint.request(), bearer(token))), 401, 'YEYAK_E_SESSION_EXPIRED');
      expectError(await call(withAuth(endpoint.request(), { cookie: `yeyak_session=${token}` })), 401, 'YEYAK_E_SESSION_EXPIRED');
      expect(await reservationCount()).toBe(before);
    } finally {
      t.clock.set(start);
    }
  });
});

it('the session cookie works where the bearer header is absent', async () => {
  const res = await call({ method: 'GET', url: `${API}/campaigns/demo/eligibility`, headers: { cookie: `yeyak_session=${await newSession()}` } });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toMatchObject({ eligible: true });
});

// -------------------------------------------------------------------------------------------------
// Unknown routes

describe('unknown routes → 404 NOT_FOUND', () => {
  const routes: { method: InjectOptions['method']; url: string }[] = [
    { method: 'GET', url: '/nope' },
    { method: 'GET', url: '/api/v1' },
    { method: 'GET', url: '/api/v1/nope' },
    { method: 'GET', url: '/api/v2/campaigns' },
    { method: 'GET', url: '/api/v1/campaigns/demo' },
    { method: 'GET', url: '/api/v1/campaigns/demo/nope' },
    { method: 'GET', url: '/api/v1/reservations' },
    { method: 'POST', url: '/api/v1/campaigns' },
    { method: 'PUT', url: `/api/v1/reservations/${UNKNOWN_BOOKING}` },
    { method: 'DELETE', url: '/api/v1/reservations' },
    { method: 'POST', url: '/healthz' },
    { method: 'GET', url: '/API/V1/CAMPAIGNS' },
  ];
  it.each(routes)('$method $url', async (r) => {
    const err = expectError(await call({ method: r.method, url: r.url }), 404, 'YEYAK_E_NOT_FOUND');
    expect(err.message).toContain(r.url.split('?')[0]);
  });

  it('an unknown route with a JSON body → 404 too', async () => {
    expectError(await call({ method: 'POST', url: '/api/v1/nope', payload: { a: 1 } }), 404, 'YEYAK_E_NOT_FOUND');
  });
});

// -------------------------------------------------------------------------------------------------
// Admin: everything under /api/v1/admin/ needs the staff token

describe('admin paths', () => {
  const paths = ['/api/v1/admin', '/api/v1/admin/', '/api/v1/admin/overview', '/api/v1/admin/overview/', '/api/v1/admin/overview?x=1', '/api/v1/admin/nope', '/api/v1/admin/a/b/c', '/api/v1/admin/reservations/2222-2222-2222'];
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
  it.each(methods.flatMap((method) => paths.map((path) => ({ method, path }))))('$method $path without a token → 401', async (c) => {
    expectError(await call({ method: c.method, url: c.path }), 401, 'YEYAK_E_ADMIN_UNAUTHENTICATED');
  });

  const badTokens: { name: string; authorization: string }[] = [
    { name: 'wrong token', authorization: 'Bearer wrong-token' },
    { name: 'token as prefix', authorization: `Bearer ${ADMIN_TOKEN}4` },
    { name: 'token truncated', authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
    { name: 'token without the Bearer scheme', authorization: ADMIN_TOKEN },
    { name: 'token as Basic', authorization: `Basic ${ADMIN_TOKEN}` },
    { name: 'empty bearer', authorization: 'Bearer ' },
  ];
  it.each(badTokens)('$name → 401', async (c) => {
    expectError(await call({ method: 'GET', url: '/api/v1/admin/overview', headers: { authorization: c.authorization } }), 401, 'YEYAK_E_ADMIN_UNAUTHENTICATED');
  });

  it('a session token is not a staff credential → 401', async () => {
    expectError(await call({ method: 'GET', url: '/api/v1/admin/overview', headers: bearer(await newSession()) }), 401, 'YEYAK_E_ADMIN_UNAUTHENTICATED');
  });

  it('a body is not even read without the token (oversized → 401, not 413)', async () => {
    expectError(await call({ method: 'POST', url: '/api/v1/admin/overview', headers: json, payload: JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT * 2) }) }), 401, 'YEYAK_E_ADMIN_UNAUTHENTICATED');
  });

  it('with the token: GET /api/v1/admin/overview → 200 with the demo campaign', async () => {
    const res = await call({ method: 'GET', url: '/api/v1/admin/overview', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { campaigns: { id: string; confirmed: number; remainingFirstDoses: number }[] };
    expect(body.campaigns.map((c) => c.id)).toContain('demo');
    expect(body.campaigns.find((c) => c.id === 'demo')?.remainingFirstDoses).toBeGreaterThan(0);
  });

  it('with the token: an unknown admin path → 404 NOT_FOUND (the token does not unlock anything else)', async () => {
    expectError(await call({ method: 'GET', url: '/api/v1/admin/nope', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }), 404, 'YEYAK_E_NOT_FOUND');
  });

  // Regression: the staff check once compared the raw URL while the router decodes escapes.
  it.each(['/api/v1/adm%69n/overview', '/api/v1/%61dmin/overview'])('percent-encoded %s without a token → 401', async (url) => {
    expectError(await call({ method: 'GET', url }), 401, 'YEYAK_E_ADMIN_UNAUTHENTICATED');
  });
});

// -------------------------------------------------------------------------------------------------
// Free text: names and notices refuse invisible and control characters at the schema — before a
// provider is asked to send a code, before any row is written (core/schemas.ts).

describe('free text: control characters, lone surrogates, bidi and zero-width characters → 400 VALIDATION, nothing sent or stored', () => {
  const admin = () => ({ authorization: `Bearer ${t.config.adminToken}` });
  const person = (name: string) => ({ name, rrn: nextRrn('1950-05-05'), phone: '010-2222-3333' });
  const bookDay = () => addDays(firstShotDay, 4);
  interface TextField {
    name: string;
    request: (text: string) => InjectOptions;
  }
  const fields: TextField[] = [
    { name: 'identity challenge: name', request: (text) => ({ method: 'POST', url: `${API}/identity/challenges`, payload: { method: 'phone', name: text, rrn: nextRrn(), phone: '010-1234-5678' } }) },
    {
      name: 'proxy booking: onBehalfOf.name',
      request: (text) => ({
        method: 'POST',
        url: `${API}/reservations`,
        headers: { ...bearer(bystander), 'idempotency-key': `proxy-text-${serial}` },
        payload: { campaignId: 'demo', clinicId: 'C000005', date: bookDay(), onBehalfOf: { ...person(text), relationship: 'parent' } },
      }),
    },
    {
      name: 'agent booking: person.name',
      request: (text) => ({ method: 'POST', url: `${API}/admin/agent/reservations`, headers: admin(), payload: { person: person(text), campaignId: 'demo', clinicId: 'C000006', date: bookDay() } }),
    },
    { name: 'operator notice: ko', request: (text) => ({ method: 'PATCH', url: `${API}/admin/queue/demo`, headers: admin(), payload: { notice: { ko: text, en: 'Paused' } } }) },
    { name: 'operator notice: en', request: (text) => ({ method: 'PATCH', url: `${API}/admin/queue/demo`, headers: admin(), payload: { notice: { ko: '잠시 멈춤', en: text } } }) },
  ];
  const bad: { name: string; text: string }[] = [
    { name: 'NUL', text: '홍\u0000길동' },
    { name: 'BEL (U+0007)', text: '홍길동\u0007' },
    { name: 'newline', text: '홍길동\nx' },
    { name: 'tab', text: '홍\t길동' },
    { name: 'DEL (U+007F)', text: '홍길동\u007f' },
    { name: 'C1 NEL (U+0085)', text: '홍길동\u0085' },
    { name: 'right-to-left override (U+202E)', text: '홍\u202e동길' },
    { name: 'left-to-right isolate (U+2066)', text: '홍\u2066길동' },
    { name: 'zero-width space (U+200B)', text: '홍\u200b길동' },
    { name: 'zero-width joiner (U+200D)', text: '홍\u200d길동' },
    { name: 'byte-order mark (U+FEFF)', text: '\ufeff홍길동' },
    { name: 'line separator (U+2028)', text: '홍길동\u2028' },
    { name: 'lone high surrogate', text: '홍길동\ud800' },
    { name: 'lone low surrogate', text: '\udc00홍길동' },
    { name: 'only spaces', text: '   ' },
  ];
  const good = ['홍길동', '남궁 민수', '김-이수', 'Kim Min-su', "O'Brien", 'José Álvarez', 'NGUYEN VAN AN', '홍\u3000길동', 'Dr. 황'];

  async function counts(): Promise<number[]> {
    const r = await t.db.query<{ c: number; p: number; r: number }>(
      'SELECT (SELECT count(*)::int FROM identity_challenge) AS c, (SELECT count(*)::int FROM person) AS p, (SELECT count(*)::int FROM reservation) AS r',
    );
    const row = r.rows[0];
    return row ? [row.c, row.p, row.r] : [];
  }

  /** Spies on every call any provider of the app could make (start and check, outer and sandbox). */
  function spyOnProviders(): { calls: () => number; restore: () => void } {
    const registry = t.app.yeyak.identityProviders;
    const spies = (['phone', 'kakao', 'naver', 'pass', 'certificate'] as const).flatMap((m) => {
      const targets = [registry.get(m), registry.sandbox(m)].filter((x) => x !== undefined);
      return targets.flatMap((p) => [vi.spyOn(p, 'start'), vi.spyOn(p, 'check')]);
    });
    expect(spies.length).toBeGreaterThan(0);
    return { calls: () => spies.reduce((n, s) => n + s.mock.calls.length, 0), restore: () => spies.forEach((s) => s.mockRestore()) };
  }

  it.each(fields.flatMap((f) => bad.map((b) => ({ field: f.name, text: b.text, what: b.name }))))('$field with $what', async (c) => {
    const field = fields.find((f) => f.name === c.field) as TextField;
    const before = await counts();
    const providers = spyOnProviders();
    try {
      const err = expectError(await call(field.request(c.text)), 400, 'YEYAK_E_VALIDATION');
      expect(err.details?.keyword, JSON.stringify(err)).toBe('format');
      expect(providers.calls()).toBe(0);
    } finally {
      providers.restore();
    }
    expect(await counts()).toEqual(before);
  });

  it('never a 5xx: arbitrary UTF-16 names (lone surrogates included) → 201 exactly when isPlainText, else 400 VALIDATION', async () => {
    const unit = fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), fc.constantFrom('홍', '길', '동', ' ', '-', 'a'));
    await fc.assert(
      fc.asyncProperty(fc.string({ unit, minLength: 1, maxLength: 12 }), async (name) => {
        const res = await call(fields[0]?.request(name) as InjectOptions);
        if (isPlainText(name)) expect(res.statusCode, res.body).toBe(201);
        else expectError(res, 400, 'YEYAK_E_VALIDATION');
      }),
      { numRuns: 60, seed: 2021 },
    );
  });

  it.each(good)('the name %j passes: identity start → 201', async (name) => {
    const res = await call(fields[0]?.request(name) as InjectOptions);
    expect(res.statusCode, res.body).toBe(201);
  });

  it.each(fields.slice(1).flatMap((f) => good.slice(0, 3).map((text) => ({ field: f.name, text }))))('$field: $text passes the schema', async (c) => {
    const field = fields.find((f) => f.name === c.field) as TextField;
    const res = await call(field.request(c.text));
    expect(res.statusCode, res.body).toBeLessThan(500);
    if (res.statusCode >= 400) expect(JSON.parse(res.body).error.code).not.toBe('YEYAK_E_VALIDATION');
  });
});

// Regression: a broken percent-escape was once answered by Fastify's own FST_ERR_BAD_URL body.
it('malformed URL → 400 YEYAK_E_BAD_REQUEST', async () => {
  expectError(await call({ method: 'GET', url: '/api/v1/campaigns/%E0%A4%A/clinics' }), 400, 'YEYAK_E_BAD_REQUEST');
});
it('malformed URL under /api/v1/admin without a token → 401, like every admin path', async () => {
  expectError(await call({ method: 'GET', url: '/api/v1/admin/%' }), 401, 'YEYAK_E_ADMIN_UNAUTHENTICATED');
});

// -------------------------------------------------------------------------------------------------

it('every error code this file received is in the catalogue (known non-catalogue bodies excepted)', () => {
  const knownBugs = [...seen.keys()].filter((code) => code.includes('FST_ERR_BAD_URL'));
  const codes = [...seen.keys()].filter((code) => !knownBugs.includes(code));
  expect(codes.length).toBeGreaterThan(15);
  for (const code of codes) expect(Object.keys(errorCatalogue), `${code} (first seen: ${seen.get(code)})`).toContain(code);
  // The suite really exercised the codes it is about.
  for (const code of [
    'YEYAK_E_INVALID_JSON', 'YEYAK_E_VALIDATION', 'YEYAK_E_BODY_TOO_LARGE', 'YEYAK_E_UNSUPPORTED_MEDIA_TYPE', 'YEYAK_E_NOT_FOUND',
    'YEYAK_E_UNAUTHENTICATED', 'YEYAK_E_ADMIN_UNAUTHENTICATED', 'YEYAK_E_SESSION_EXPIRED', 'YEYAK_E_RRN_INVALID',
    'YEYAK_E_CHALLENGE_NOT_FOUND', 'YEYAK_E_CODE_WRONG', 'YEYAK_E_CHALLENGE_LOCKED', 'YEYAK_E_CAMPAIGN_NOT_FOUND',
    'YEYAK_E_CLINIC_NOT_FOUND', 'YEYAK_E_REGION_NOT_FOUND', 'YEYAK_E_DATE_INVALID', 'YEYAK_E_DATE_NOT_OFFERED',
    'YEYAK_E_IDEMPOTENCY_KEY_REQUIRED', 'YEYAK_E_IDEMPOTENCY_KEY_INVALID', 'YEYAK_E_RESERVATION_NOT_FOUND', 'YEYAK_E_CHANGE_NOTHING',
  ]) {
    expect([...seen.keys()], code).toContain(code);
  }
  expect([...seen.keys()]).not.toContain('YEYAK_E_INTERNAL');
});
