/**
 * A result code from the booking functions that this build does not know is a broken invariant
 * between the SQL and booking/answers.ts: answered 500 YEYAK_E_INTERNAL (no internals in the
 * body) and logged whole, with the function and the code — never a quiet 500.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookingAnswer, cancelAnswer, changeAnswer } from '../../src/booking/answers.ts';
import type { BookingOutcome, CancelCode, ChangeCode } from '../../src/booking/sql.ts';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';

describe('answers.ts: every code maps, or asserts', () => {
  const slotFull = () => 'YEYAK_E_SLOT_FULL' as const;

  it.each(['BOGUS', 'INVALID', 'toString', ''])('book_batch code %j → invariant', (code) => {
    expect(() => bookingAnswer({ code, response: null } as unknown as BookingOutcome, slotFull)).toThrow(/^invariant violated: book_batch answered an unexpected code/);
  });

  it('three booking-number collisions in a row → invariant', () => {
    expect(() => bookingAnswer({ code: 'BOOKING_NUMBER_TAKEN', response: null }, slotFull)).toThrow('invariant violated: three booking-number collisions in a row');
  });

  it.each(['BOGUS', 'toString', 'constructor'])('change/cancel code %j → invariant', (code) => {
    expect(() => changeAnswer({ code: code as ChangeCode, response: null })).toThrow(/^invariant violated: change_reservation answered an unexpected code/);
    expect(() => cancelAnswer({ code: code as CancelCode, response: null })).toThrow(/^invariant violated: cancel_reservation answered an unexpected code/);
  });

  it('OK without a response → invariant', () => {
    expect(() => changeAnswer({ code: 'OK', response: null })).toThrow('invariant violated: change_reservation answered OK without a response');
    expect(() => cancelAnswer({ code: 'OK', response: null })).toThrow('invariant violated: cancel_reservation answered OK without a response');
  });

  it('the known refusals stay catalogue errors', () => {
    expect(() => changeAnswer({ code: 'CHANGE_TOO_LATE', response: null })).toThrow(expect.objectContaining({ code: 'YEYAK_E_CHANGE_TOO_LATE' }));
    expect(() => cancelAnswer({ code: 'CANCEL_TOO_LATE', response: null })).toThrow(expect.objectContaining({ code: 'YEYAK_E_CANCEL_TOO_LATE' }));
    expect(() => bookingAnswer({ code: 'SLOT_FULL', response: null }, slotFull)).toThrow(expect.objectContaining({ code: 'YEYAK_E_SLOT_FULL' }));
  });
});

// Stand-ins for the three functions, answering a code no build knows.
const BOGUS_FUNCTIONS = `
  DROP FUNCTION book_batch(jsonb, timestamptz, bigint, boolean);
  CREATE FUNCTION book_batch(p_requests jsonb, p_now timestamptz, p_key_ttl_ms bigint, p_strict boolean)
  RETURNS TABLE (o_i int, o_code text, o_response jsonb) LANGUAGE sql AS
  $$ SELECT (r->>'i')::int, 'BOGUS_BOOK', NULL::jsonb FROM jsonb_array_elements(p_requests) r $$;
  DROP FUNCTION change_reservation(text, bigint, text, date, date, date, date, date, int, text, timestamptz);
  CREATE FUNCTION change_reservation(a text, b bigint, c text, d date, e date, f date, g date, h date, i int, j text, k timestamptz)
  RETURNS TABLE (o_code text, o_response jsonb) LANGUAGE sql AS $$ SELECT 'BOGUS_CHANGE'::text, NULL::jsonb $$;
  DROP FUNCTION cancel_reservation(text, bigint, date, int, text, timestamptz);
  CREATE FUNCTION cancel_reservation(a text, b bigint, c date, d int, e text, f timestamptz)
  RETURNS TABLE (o_code text, o_response jsonb) LANGUAGE sql AS $$ SELECT 'BOGUS_CANCEL'::text, NULL::jsonb $$;
`;

describe('an unknown code from SQL over HTTP (PGlite): 500, and the invariant in the log', () => {
  let t: TestApp;
  const lines: string[] = [];
  let token: string;
  let bookingNumber: string;
  let clinics: string[] = [];

  /** Books the clinic's first offered date. */
  async function book(sessionToken: string, clinicId: string, key: string) {
    const date = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/demo/clinics/${clinicId}/dates` })).json()[0].date as string;
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/reservations',
      headers: { authorization: `Bearer ${sessionToken}`, 'idempotency-key': key },
      payload: { campaignId: 'demo', clinicId, date },
    });
  }

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    t = await createTestApp({ clinics: 2, logger: { level: 'error', stream } });
    clinics = (await t.app.inject({ method: 'GET', url: '/api/v1/campaigns/demo/clinics' })).json().map((c: { id: string }) => c.id);
    token = await t.login(syntheticRrn('1980-05-05', 8801));
    const booked = await book(token, clinics[0] as string, 'unknown-codes-0001');
    expect(booked.statusCode, booked.body).toBe(201);
    bookingNumber = booked.json().bookingNumber;
    await t.db.exec(BOGUS_FUNCTIONS);
  });
  afterAll(async () => t?.close());

  async function expectLoggedInvariant(res: { statusCode: number; body: string; json(): { error: { code: string } } }, fn: string, code: string): Promise<void> {
    expect(res.statusCode, res.body).toBe(500);
    expect(res.json().error.code).toBe('YEYAK_E_INTERNAL');
    expect(res.body).not.toContain(code);
    const line = lines.find((l) => l.includes(code));
    expect(line, lines.join('')).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({ level: 50, msg: 'unhandled error', err: { message: `invariant violated: ${fn} answered an unexpected code "${code}"` } });
  }

  it('book_batch', async () => {
    const res = await book(await t.login(syntheticRrn('1980-06-06', 8802)), clinics[1] as string, 'unknown-codes-0002');
    await expectLoggedInvariant(res, 'book_batch', 'BOGUS_BOOK');
  });

  it('change_reservation', async () => {
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/reservations/${bookingNumber}`, headers: { authorization: `Bearer ${token}` }, payload: { clinicId: clinics[1] } });
    await expectLoggedInvariant(res, 'change_reservation', 'BOGUS_CHANGE');
  });

  it('cancel_reservation', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/reservations/${bookingNumber}`, headers: { authorization: `Bearer ${token}` } });
    await expectLoggedInvariant(res, 'cancel_reservation', 'BOGUS_CANCEL');
  });
});
