/**
 * A person is who the provider vouches for (issue #7). The sandbox's identity (CI) is the name +
 * phone; the synthetic registry binds an RRN to the first CI that claims it. Tricks: one person
 * with one phone verifying as 900505-1000001, -1000002, … to hold a booking under each; a
 * stranger typing someone's RRN; two CIs racing for one RRN; a proxy naming an RRN that is
 * someone else's. And the rule that makes proxy bookings visible to the beneficiary: the person a
 * proxy named and the person verifying themselves are one row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, deferred, phoneOf, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { hashRrn } from '../../src/rules/rrn.ts';
import { hashCi, sandboxCi, SyntheticResidentRegistry } from '../../src/identity/registry.ts';
import { openDb } from '../../src/core/db.ts';

const API = '/api/v1';
let serial = 610_000;
let keySeq = 0;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface Claim {
  name: string;
  rrn: string;
  phone: string;
}

function codeOf(res: LightMyRequestResponse): string {
  return res.statusCode < 300 ? 'OK' : (res.json() as { error: { code: string } }).error.code;
}

async function start(t: TestApp, c: Claim): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: `${API}/identity/challenges`, payload: { method: 'phone', ...c } });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { challengeId: string }).challengeId;
}

const verify = (t: TestApp, challengeId: string) =>
  t.app.inject({ method: 'POST', url: `${API}/identity/challenges/${challengeId}/verify`, payload: { code: '000000' } });

async function verifyAs(t: TestApp, c: Claim): Promise<LightMyRequestResponse> {
  return verify(t, await start(t, c));
}

async function people(t: TestApp): Promise<number> {
  return (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM person')).rows[0]?.n ?? -1;
}

async function personOf(t: TestApp, rrn: string): Promise<{ id: number; ci_hash: string | null } | undefined> {
  const r = await t.db.query<{ id: number; ci_hash: string | null }>('SELECT id, ci_hash FROM person WHERE rrn_hash = $1', [hashRrn(rrn.replace('-', ''), t.config.rrnHashSecret)]);
  return r.rows[0];
}

for (const engine of ['pglite', 'postgres'] as const) {
  describe.skipIf(engine === 'postgres' && !process.env.DATABASE_URL)(`verified identity (${engine})`, () => {
    let t: TestApp;
    let testDb: TestDatabase | null = null;
    let clinicId = '';
    let date = '';

    beforeAll(async () => {
      testDb = engine === 'postgres' ? await createTestDatabase('yeyak_identity') : null;
      t = await createTestApp({ scenario: 'demo', clinics: 5, databaseUrl: testDb?.url ?? null });
      const clinics = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics` })).json() as { id: string; remaining: number }[];
      clinicId = clinics.find((c) => c.remaining >= 20)?.id ?? '';
      const dates = (await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/clinics/${clinicId}/dates` })).json() as { date: string }[];
      date = dates[2]?.date ?? '';
    });
    afterAll(async () => {
      await t?.close();
      await testDb?.drop();
    });

    const book = (token: string, onBehalfOf?: Claim & { relationship: string }) =>
      t.app.inject({
        method: 'POST',
        url: `${API}/reservations`,
        headers: { ...bearer(token), 'idempotency-key': `identity-key-${engine}-${++keySeq}` },
        payload: { campaignId: 'demo', clinicId, date, ...(onBehalfOf ? { onBehalfOf } : {}) },
      });

    it('one person (one name + phone) verifying as 900505-1000001, -1000002, … → only the first; the others 403 IDENTITY_MISMATCH, one person, one booking', async () => {
      const phone = '010-5050-0001';
      const rrns = [1, 2, 3, 4].map((n) => syntheticRrn('1970-05-05', serial + n));
      serial += 10;
      const before = await people(t);
      const first = await verifyAs(t, { name: '한사람', rrn: rrns[0] as string, phone });
      expect(first.statusCode, first.body).toBe(200);
      expect((await book((first.json() as { sessionToken: string }).sessionToken)).statusCode).toBe(201);
      for (const rrn of rrns.slice(1)) {
        const res = await verifyAs(t, { name: '한사람', rrn, phone });
        expect(codeOf(res), res.body).toBe('YEYAK_E_IDENTITY_MISMATCH');
        expect(res.statusCode).toBe(403);
      }
      expect(await people(t)).toBe(before + 1);
      // Another birth date or sex (another RRN) for the same CI is refused too.
      const female = await verifyAs(t, { name: '한사람', rrn: syntheticRrn('1970-05-05', serial++, 'F'), phone });
      expect(codeOf(female)).toBe('YEYAK_E_IDENTITY_MISMATCH');
    });

    it('the same person again (spaces in the name, the phone without dashes) is the same row; the CI is stored only as its keyed hash', async () => {
      const rrn = syntheticRrn('1975-07-07', serial++);
      const claim = { name: '김 민수', rrn, phone: phoneOf(rrn) };
      const a = await verifyAs(t, claim);
      expect(a.statusCode, a.body).toBe(200);
      const row = await personOf(t, rrn);
      const b = await verifyAs(t, { name: ' 김  민수 ', rrn, phone: claim.phone.replaceAll('-', '') });
      expect(b.statusCode, b.body).toBe(200);
      expect(await personOf(t, rrn)).toEqual(row);
      const ci = sandboxCi(claim.phone);
      expect(row?.ci_hash).toBe(hashCi(ci, t.config.rrnHashSecret));
      const leaked = await t.db.query(
        `SELECT 1 FROM person WHERE ci_hash = $1 OR name = $1 OR phone = $1 UNION ALL SELECT 1 FROM resident_binding WHERE ci_hash = $1 OR rrn_hash = $2`,
        [ci, rrn.replace('-', '')],
      );
      expect(leaked.rows).toHaveLength(0);
    });

    it("a stranger (another phone, even the same name) with someone's RRN → 403 IDENTITY_MISMATCH, no session", async () => {
      const rrn = syntheticRrn('1980-08-08', serial++);
      expect((await verifyAs(t, { name: '주인', rrn, phone: phoneOf(rrn) })).statusCode).toBe(200);
      const res = await verifyAs(t, { name: '주인', rrn, phone: '010-9999-0001' });
      expect(codeOf(res)).toBe('YEYAK_E_IDENTITY_MISMATCH');
      expect(res.cookies).toHaveLength(0);
    });

    it('two CIs racing for one RRN: exactly one verifies, the rest 403 IDENTITY_MISMATCH', async () => {
      const rrn = syntheticRrn('1981-01-01', serial++);
      const n = 8;
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(await start(t, { name: '경쟁', rrn, phone: `010-8100-${String(i).padStart(4, '0')}` }));
      const gate = deferred();
      const racing = ids.map((id) => gate.promise.then(() => verify(t, id)));
      gate.resolve();
      const results = await Promise.all(racing);
      const codes = results.map(codeOf);
      expect(codes.filter((c) => c === 'OK')).toHaveLength(1);
      expect(codes.filter((c) => c === 'YEYAK_E_IDENTITY_MISMATCH')).toHaveLength(n - 1);
      const bound = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resident_binding WHERE rrn_hash = $1', [hashRrn(rrn.replace('-', ''), t.config.rrnHashSecret)]);
      expect(bound.rows[0]?.n).toBe(1);
    });

    it('the beneficiary a proxy booked for and the beneficiary verifying later are one person: the booking is theirs', async () => {
      const proxy = await t.login(syntheticRrn('1966-06-06', serial++));
      const rrn = syntheticRrn('1946-04-04', serial++);
      const parent = { name: '이부모', rrn, phone: phoneOf(rrn), relationship: 'parent' };
      const booked = await book(proxy, parent);
      expect(booked.statusCode, booked.body).toBe(201);
      // Nobody vouched for the parent yet: the row has no CI until they verify themselves.
      const named = await personOf(t, rrn);
      expect(named?.ci_hash).toBeNull();
      const own = await t.login(rrn, parent.name);
      expect(await personOf(t, rrn)).toEqual({ id: named?.id, ci_hash: hashCi(sandboxCi(parent.phone), t.config.rrnHashSecret) });
      const { bookingNumber } = booked.json() as { bookingNumber: string };
      expect((await t.app.inject({ method: 'GET', url: `${API}/reservations/${bookingNumber}`, headers: bearer(own) })).statusCode).toBe(200);
    });

    it('…and the other way round: a person who verified first, then is booked for by a proxy, is the same row', async () => {
      const rrn = syntheticRrn('1947-03-03', serial++);
      const own = await t.login(rrn, '박부모');
      const self = await personOf(t, rrn);
      const proxy = await t.login(syntheticRrn('1967-07-07', serial++));
      const booked = await book(proxy, { name: '박부모', rrn, phone: phoneOf(rrn), relationship: 'parent' });
      expect(booked.statusCode, booked.body).toBe(201);
      expect(await personOf(t, rrn)).toEqual(self);
      const { bookingNumber } = booked.json() as { bookingNumber: string };
      expect((await t.app.inject({ method: 'GET', url: `${API}/reservations/${bookingNumber}`, headers: bearer(own) })).statusCode).toBe(200);
    });

    it("a proxy naming a known person's RRN with another name → 403 IDENTITY_MISMATCH, nothing booked; with another phone → booked for them, their own phone kept", async () => {
      const rrn = syntheticRrn('1948-08-08', serial++);
      await t.login(rrn, '최부모');
      const proxy = await t.login(syntheticRrn('1968-08-08', serial++));
      const reservations = async () => (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reservation')).rows[0]?.n;
      const before = { people: await people(t), reservations: await reservations() };
      const res = await book(proxy, { name: '다른이름', phone: phoneOf(rrn), rrn, relationship: 'parent' });
      expect(codeOf(res), res.body).toBe('YEYAK_E_IDENTITY_MISMATCH');
      expect(res.statusCode).toBe(403);
      expect({ people: await people(t), reservations: await reservations() }).toEqual(before);
      // A parent without a phone of their own: the proxy gives theirs. The notice still goes to the
      // number the parent verified with.
      const booked = await book(proxy, { name: '최부모', phone: '010-9999-0002', rrn, relationship: 'parent' });
      expect(booked.statusCode, booked.body).toBe(201);
      const phone = await t.db.query<{ phone: string }>('SELECT phone FROM person WHERE id = $1', [(await personOf(t, rrn))?.id]);
      expect(phone.rows[0]?.phone).toBe(phoneOf(rrn).replaceAll('-', ''));
    });

    // Red-team finding (issue #7): a proxy booking bound an unclaimed RRN to the made-up name and
    // phone the proxy typed, and the real person was refused for ever when they verified.
    it("a stranger booking 'for' someone whose RRN nobody claimed yet (made-up name and phone) does not lock them out: they verify, the booking is theirs to see and cancel", async () => {
      const stranger = await t.login(syntheticRrn('1969-09-09', serial++));
      const rrn = syntheticRrn('1949-09-09', serial++);
      const booked = await book(stranger, { name: '아무개', phone: '010-9999-0003', rrn, relationship: 'parent' });
      expect(booked.statusCode, booked.body).toBe(201);
      const own = await t.login(rrn, '김진짜');
      const { bookingNumber } = booked.json() as { bookingNumber: string };
      expect((await t.app.inject({ method: 'GET', url: `${API}/reservations/${bookingNumber}`, headers: bearer(own) })).statusCode).toBe(200);
      const cancel = await t.app.inject({ method: 'DELETE', url: `${API}/reservations/${bookingNumber}`, headers: bearer(own) });
      expect(cancel.statusCode, cancel.body).toBe(200);
      // From now on they are known by their own name: the made-up one is refused.
      expect(codeOf(await book(stranger, { name: '아무개', phone: '010-9999-0003', rrn, relationship: 'parent' }))).toBe('YEYAK_E_IDENTITY_MISMATCH');
    });

    // Red-team finding (issue #7): one phone held a booking per spelling of a name.
    it('one phone, the name typed many ways (spaces, punctuation, jamo, hanja), each with another RRN → only the first verifies; the others 403 IDENTITY_MISMATCH', async () => {
      const phone = '010-5555-0001';
      const names = ['홍길동', '홍 길동', '홍길 동', '홍-길동', '홍길동.', "홍길동'", 'ㅎㅗㅇ길동', '洪吉童'];
      const answers: string[] = [];
      for (const name of names) answers.push(codeOf(await verifyAs(t, { name, rrn: syntheticRrn('1980-05-05', serial++), phone })));
      expect(answers).toEqual(['OK', ...names.slice(1).map(() => 'YEYAK_E_IDENTITY_MISMATCH')]);
    });

    it('a person row from before CIs (ci_hash NULL) is adopted by the verification its RRN is confirmed for: same id', async () => {
      const rrn = syntheticRrn('1972-12-12', serial++);
      const legacy = await t.db.query<{ id: number }>(
        `INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone) VALUES ($1, '1972-12-12', 'M', false, '옛사람', '01000000000') RETURNING id`,
        [hashRrn(rrn.replace('-', ''), t.config.rrnHashSecret)],
      );
      await t.login(rrn, '옛사람');
      expect(await personOf(t, rrn)).toEqual({ id: legacy.rows[0]?.id, ci_hash: hashCi(sandboxCi(phoneOf(rrn)), t.config.rrnHashSecret) });
    });
  });
}

describe.skipIf(!process.env.DATABASE_URL)('the synthetic registry on PostgreSQL', () => {
  it('20 CIs claiming one RRN in 20 concurrent transactions: exactly one binding wins', async () => {
    const testDb = await createTestDatabase('yeyak_registry');
    const db = await openDb({ databaseUrl: testDb.url, dataDir: 'memory:', poolMax: 24 });
    try {
      const { migrate } = await import('../../src/core/migrate.ts');
      await migrate(db);
      const registry = new SyntheticResidentRegistry();
      const n = 20;
      // A barrier: every transaction is open before any of them claims.
      const gate = deferred();
      let open = 0;
      const now = new Date('2026-11-26T03:00:00Z');
      const outcomes = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          db.transaction(async (tx) => {
            await tx.query('SELECT 1');
            if (++open === n) gate.resolve();
            await gate.promise;
            return registry.confirm({ ciHash: `ci-${i}`, rrnHash: 'one-rrn', name: 'x', now }, tx);
          }),
        ),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM resident_binding WHERE rrn_hash = 'one-rrn'");
      expect(rows.rows[0]?.n).toBe(1);
    } finally {
      await db.close();
      await testDb.drop();
    }
  });
});
