import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, type Db } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { enqueueNotices } from '../../src/core/outbox.ts';

describe('enqueueNotices', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite('memory://');
    await migrate(db);
  });
  afterAll(() => db.close());

  it('writes pending rows and skips a repeated dedupe key', async () => {
    const now = new Date('2021-08-09T11:00:00Z');
    const first = await enqueueNotices(db, now, [
      { topic: 'campaign.sold_out', payload: { personId: 1, campaignId: 'c' }, dedupeKey: 'sold_out:c:1' },
      { topic: 'campaign.sold_out', payload: { personId: 2, campaignId: 'c' } },
    ]);
    const again = await enqueueNotices(db, now, [{ topic: 'campaign.sold_out', payload: { personId: 1, campaignId: 'c' }, dedupeKey: 'sold_out:c:1' }]);
    const rows = (await db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM outbox GROUP BY state`)).rows;
    expect([first, again]).toEqual([2, 0]);
    expect(rows).toEqual([{ state: 'pending', n: 2 }]);
  });
});
