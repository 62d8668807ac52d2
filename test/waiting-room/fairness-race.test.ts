/**
 * The shuffle's seed is drawn once per campaign, whoever draws first: two nodes (two admission
 * controllers, each with its own in-process line and its own draw) reaching the database at the
 * same moment — both statements held at a gate until both have arrived, then let go together —
 * keep one seed, and at the opening both freeze their pre-queue with it. On PGlite and, with
 * DATABASE_URL, on PostgreSQL (where the two statements really run at once, on two connections).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, deferred, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { CAMPAIGN } from './helpers.ts';
import type { Queryable } from '../../src/core/db.ts';
import { AdmissionController } from '../../src/waiting-room/controller.ts';
import { MemoryQueueStore } from '../../src/waiting-room/memory-store.ts';
import { SeedCommitments } from '../../src/waiting-room/fairness-seed.ts';
import { commitmentOf } from '../../src/waiting-room/fairness.ts';

const EARLY = '2021-08-09T19:30:00+09:00';
const OPENING = '2021-08-09T20:00:00+09:00';

/** `db`, with every commitment INSERT held until `count` of them have arrived. */
function gated(db: Queryable, count: number): { db: Queryable; arrived: () => number } {
  const gate = deferred();
  let arrived = 0;
  const wrapped: Queryable = {
    query: (async (text: string, params?: unknown[]) => {
      if (/INSERT INTO queue_shuffle_commitment/.test(text)) {
        if (++arrived === count) gate.resolve();
        await gate.promise;
      }
      return db.query(text, params as never);
    }) as Queryable['query'],
  } as Queryable;
  return { db: wrapped, arrived: () => arrived };
}

for (const kind of ['PGlite', 'PostgreSQL'] as const) {
  describe.skipIf(kind === 'PostgreSQL' && !process.env.DATABASE_URL)(`two nodes drawing the seed at once (${kind})`, () => {
    let t: TestApp;
    let pg: TestDatabase | undefined;

    beforeAll(async () => {
      if (kind === 'PostgreSQL') pg = await createTestDatabase('yeyak_fairness');
      t = await createTestApp({ scenario: 'korea-2021-08', clinics: 5, now: EARLY, databaseUrl: pg?.url ?? null });
    });
    afterAll(async () => {
      await t?.close();
      await pg?.drop();
    });

    it('SeedCommitments on two nodes: both INSERTs at once, one row, both read the same seed and nonce', async () => {
      await t.db.query('DELETE FROM queue_shuffle_commitment');
      const { db, arrived } = gated(t.db, 2);
      const a = new SeedCommitments(db, () => t.clock.nowMs());
      const b = new SeedCommitments(db, () => t.clock.nowMs());
      const [ca, cb] = await Promise.all([a.commit(CAMPAIGN), b.commit(CAMPAIGN)]);
      expect(arrived()).toBe(2);
      expect(ca).toEqual(cb);
      const rows = await t.db.query<{ seed: string; nonce: string }>('SELECT seed, nonce FROM queue_shuffle_commitment WHERE campaign_id = $1', [CAMPAIGN]);
      expect(rows.rows).toHaveLength(1);
      expect({ seed: Number(rows.rows[0]?.seed), nonce: rows.rows[0]?.nonce }).toEqual({ seed: ca.seed, nonce: ca.nonce });
      // Asked again, each node answers from memory: no second draw, no second statement.
      expect(await a.commit(CAMPAIGN)).toEqual(ca);
      expect(arrived()).toBe(2);
    });

    it('two controllers ticking before the opening at once keep one commitment; at the opening both shuffle with it', async () => {
      await t.db.query('DELETE FROM queue_shuffle_commitment');
      const { db } = gated(t.db, 2);
      const campaign = t.app.yeyak.campaigns.get(CAMPAIGN);
      if (!campaign) throw new Error('no campaign');
      const node = (id: string) => {
        const store = new MemoryQueueStore(() => ({ ratePerS: 10, activeMax: 1_000, paused: false, notice: null, powBits: 0 }), () => t.clock.nowMs());
        const controller = new AdmissionController(store, db, t.clock, () => [campaign], {
          nodeId: id,
          tickMs: 250,
          checkpointAheadS: 2,
          claimWindowMs: 300_000,
          health: () => ({ factor: 1, reasons: [] }),
          log: () => {},
        });
        return { store, controller };
      };
      const [a, b] = [node('a'), node('b')];
      t.clock.set(EARLY);
      await Promise.all([a.controller.tick(campaign), b.controller.tick(campaign)]);
      const rows = await t.db.query<{ seed: string; nonce: string }>('SELECT seed, nonce FROM queue_shuffle_commitment WHERE campaign_id = $1', [CAMPAIGN]);
      expect(rows.rows).toHaveLength(1);
      const committed = { seed: Number(rows.rows[0]?.seed), nonce: rows.rows[0]?.nonce as string };
      expect((await a.store.read(CAMPAIGN)).shuffleSeed).toBeNull(); // nothing frozen before the opening

      t.clock.set(OPENING);
      await a.controller.tick(campaign);
      await b.controller.tick(campaign);
      expect((await a.store.read(CAMPAIGN)).shuffleSeed).toBe(committed.seed);
      expect((await b.store.read(CAMPAIGN)).shuffleSeed).toBe(committed.seed);
      // The public record reveals exactly this seed, and it hashes to the commitment.
      t.app.yeyak.waitingRoom.fairness.invalidate(CAMPAIGN);
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${CAMPAIGN}/fairness` });
      expect(res.json()).toMatchObject({ seed: { state: 'revealed', value: committed.seed, nonce: committed.nonce, commitment: commitmentOf(CAMPAIGN, committed.seed, committed.nonce) } });
    });
  });
}
