/**
 * Favourite clinics (at most 5, held by the database under concurrency), the release alert (one
 * outbox row per favouriting person, in the release's transaction) and the public list of today's
 * leftovers near a region (its 시/군/구 first, then the rest of its 시/도).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { deferred, TEST_ADMIN_TOKEN } from '../helpers/app.ts';
import { API, bearer, expectError, onBothStores, type Citizen, type LeftoverFixture } from './fixture.ts';

const favourites = (f: LeftoverFixture, c: Citizen) => f.t.app.inject({ method: 'GET', url: `${API}/me/favourite-clinics`, headers: bearer(c.token) });
const star = (f: LeftoverFixture, c: Citizen, clinicId: string) =>
  f.t.app.inject({ method: 'PUT', url: `${API}/me/favourite-clinics/${clinicId}`, headers: bearer(c.token) });
const unstar = (f: LeftoverFixture, c: Citizen, clinicId: string) =>
  f.t.app.inject({ method: 'DELETE', url: `${API}/me/favourite-clinics/${clinicId}`, headers: bearer(c.token) });
const ids = (res: { json(): unknown }) => (res.json() as { clinics: { id: string }[] }).clinics.map((c) => c.id);

onBothStores('leftover favourites, alerts and list', (fixture) => {
  let f: LeftoverFixture;
  beforeAll(() => {
    f = fixture();
  });

  describe('favourites', () => {
    it('star up to 5 (in order), the same again changes nothing, a sixth → 409 FAVOURITES_FULL, unstar frees a place', async () => {
      const c = await f.citizen();
      const five = f.clinics.slice(0, 5).map((x) => x.id);
      for (const id of five) expect((await star(f, c, id)).statusCode).toBe(200);
      expect(ids(await star(f, c, five[0] as string))).toEqual(five);
      expectError(await star(f, c, f.clinics[5]?.id as string), 409, 'YEYAK_E_FAVOURITES_FULL');
      expect(ids(await favourites(f, c))).toEqual(five);
      expect(ids(await unstar(f, c, five[1] as string))).toEqual(five.filter((id) => id !== five[1]));
      expect(ids(await star(f, c, f.clinics[5]?.id as string))).toEqual([...five.filter((id) => id !== five[1]), f.clinics[5]?.id]);
      expect((await unstar(f, c, 'C999999')).statusCode).toBe(200);
    });

    it('unknown clinic → 404 CLINIC_NOT_FOUND; no session → 401; a malformed id → 400', async () => {
      const c = await f.citizen();
      expectError(await star(f, c, 'C999999'), 404, 'YEYAK_E_CLINIC_NOT_FOUND');
      expectError(await f.t.app.inject({ method: 'GET', url: `${API}/me/favourite-clinics` }), 401, 'YEYAK_E_UNAUTHENTICATED');
      expectError(await star(f, c, 'bad_id!'), 400, 'YEYAK_E_VALIDATION');
    });

    it('12 different clinics starred at once by one person → exactly 5 kept, 7 told FAVOURITES_FULL', async () => {
      const c = await f.citizen();
      const gate = deferred();
      const answers = f.clinics.slice(20, 32).map(async (x) => {
        await gate.promise;
        return star(f, c, x.id);
      });
      gate.resolve();
      const done = await Promise.all(answers);
      expect(done.filter((r) => r.statusCode === 200)).toHaveLength(5);
      for (const r of done.filter((x) => x.statusCode !== 200)) expectError(r, 409, 'YEYAK_E_FAVOURITES_FULL');
      expect(ids(await favourites(f, c))).toHaveLength(5);
      const row = await f.t.db.query<{ n: number }>('SELECT cardinality(clinic_ids) AS n FROM favourite_clinic_set WHERE person_id = $1', [c.personId]);
      expect(row.rows[0]?.n).toBe(5);
    });

    it('the CHECK backs the cap: a sixth written directly is refused', async () => {
      const c = await f.citizen();
      await expect(f.t.db.query("INSERT INTO favourite_clinic_set VALUES ($1, ARRAY['a','b','c','d','e','f'], now())", [c.personId])).rejects.toMatchObject({
        constraint: 'favourite_clinics_at_most_5',
      });
    });
  });

  describe('release alert', () => {
    it("a release writes one 'leftover.released' row per person who favourited the clinic, none for others or the barred", async () => {
      const clinic = f.clinics[40]?.id as string;
      const [a, b, other, barred] = [await f.citizen(), await f.citizen(), await f.citizen(), await f.citizen()];
      for (const c of [a, b, barred]) expect((await star(f, c, clinic)).statusCode).toBe(200);
      expect((await star(f, other, f.clinics[41]?.id as string)).statusCode).toBe(200);
      // `barred` missed a dose of the campaign (the clinic's record, as the staff route writes it).
      const missed = await f.book(barred, clinic, '2026-11-28');
      await f.at('2026-11-28T09:00:00+09:00');
      const ns = await f.t.app.inject({ method: 'PUT', url: `${API}/admin/clinics/${clinic}/doses/${missed}/1`, headers: bearer(TEST_ADMIN_TOKEN), payload: { outcome: 'no_show' } });
      expect(ns.statusCode, ns.body).toBe(200);
      try {
        const releaseId = await f.release(clinic, 4, '17:30');
        const rows = await f.t.db.query<{ payload: Record<string, unknown>; dedupe_key: string }>(
          `SELECT payload, dedupe_key FROM outbox WHERE topic = 'leftover.released' AND (payload->>'releaseId')::bigint = $1 ORDER BY (payload->>'personId')::bigint`,
          [releaseId],
        );
        expect(rows.rows).toEqual(
          [a, b].map((c) => ({
            payload: { personId: c.personId, campaignId: 'demo', clinicId: clinic, releaseId, vaccineId: 'pfizer', until: '2026-11-28T08:30:00.000Z' },
            dedupe_key: `leftover_released:${releaseId}:${c.personId}`,
          })),
        );
      } finally {
        await f.at('2026-11-27T10:00:00+09:00');
      }
    });
  });

  describe('public list', () => {
    const list = (query: string) => f.t.app.inject({ method: 'GET', url: `${API}/leftovers?${query}` });
    const advance = () => f.t.clock.advance(5_000); // past the node's 2 s cache

    it("today's open releases of the region's 시/도, its 시/군/구 first; not the withdrawn, the closed, the fully taken, nor other 시/도", async () => {
      // Clinics of one 시/도 in two 시/군/구, and one elsewhere.
      const bySido = new Map<string, typeof f.clinics>();
      for (const c of f.clinics) bySido.set(c.sido, [...(bySido.get(c.sido) ?? []), c]);
      const [sido, members] = [...bySido.entries()].find(([, cs]) => new Set(cs.map((c) => c.sigungu)).size >= 2) ?? [];
      if (!sido || !members) throw new Error('no 시/도 with two 시/군/구 in the demo');
      const home = members[0] as (typeof members)[number];
      const away = members.find((c) => c.sigungu !== home.sigungu) as (typeof members)[number];
      const elsewhere = f.clinics.find((c) => c.sido !== sido) as (typeof members)[number];
      await f.t.db.query('UPDATE leftover_release SET withdrawn_at = now(), withdrawn_by = $1 WHERE withdrawn_at IS NULL', ['test']);

      const awayEarly = await f.release(away.id, 2, '12:00');
      const homeLate = await f.release(home.id, 3, '17:00');
      await f.release(elsewhere.id, 2);
      const withdrawn = await f.release(home.id, 2);
      await f.t.app.inject({ method: 'DELETE', url: `${API}/admin/clinics/${home.id}/leftovers/${withdrawn}`, headers: bearer(TEST_ADMIN_TOKEN) });
      const full = await f.release(home.id, 1);
      expect((await f.take(await f.citizen(), full)).statusCode).toBe(201);
      advance();

      const res = await list(`region=${home.sigungu}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=0, s-maxage=2');
      const rows = res.json() as { releaseId: number; clinicId: string; dosesLeft: number; nearby: boolean; clinicName: string; vaccineKo: string; until: string }[];
      expect(rows.map((r) => [r.releaseId, r.nearby, r.dosesLeft])).toEqual([[homeLate, true, 3], [awayEarly, false, 2]]);
      expect(rows[0]).toMatchObject({ clinicId: home.id, clinicName: expect.any(String), vaccineKo: expect.any(String), until: '2026-11-27T08:00:00.000Z' });

      // The 시/도 itself: the same releases, none "nearby", by closing time.
      expect(((await list(`region=${sido}`)).json() as { releaseId: number; nearby: boolean }[]).map((r) => [r.releaseId, r.nearby])).toEqual([[awayEarly, false], [homeLate, false]]);
      // Of one campaign; of another → none.
      expect((await list(`region=${home.sigungu}&campaign=demo`)).json()).toHaveLength(2);
      expect((await list(`region=${home.sigungu}&campaign=no-such`)).json()).toEqual([]);
      // Past 12:00 the early one has closed (from the cache too).
      await f.at('2026-11-27T12:00:00+09:00');
      expect(((await list(`region=${home.sigungu}`)).json() as { releaseId: number }[]).map((r) => r.releaseId)).toEqual([homeLate]);
      // Tomorrow: nothing.
      await f.at('2026-11-28T09:00:00+09:00');
      expect((await list(`region=${home.sigungu}`)).json()).toEqual([]);
      await f.at('2026-11-27T10:00:00+09:00');
    });

    it('an unknown region → 404 REGION_NOT_FOUND; a malformed or missing one → 400', async () => {
      advance();
      expectError(await list('region=99999'), 404, 'YEYAK_E_REGION_NOT_FOUND');
      expectError(await list('region=seoul'), 400, 'YEYAK_E_VALIDATION');
      expectError(await list(''), 400, 'YEYAK_E_VALIDATION');
    });
  });
});
