/**
 * Sold out (rules/supply-state.ts), as the waiting room lives it: the controller admits nobody
 * while the campaign is sold out, a status poll answers the notice instead of a pass, a new join
 * is refused (409 YEYAK_E_SOLD_OUT) while a place already held is kept — and when the state flips
 * to sold out the leader tells, through the outbox, those admitted who have not booked.
 *
 * Who that is: in verify-first campaigns the line's places are persons (queue_person_ticket): a
 * place is admitted when its position is at most admittedUpTo — main-line numbers by arithmetic,
 * pre-queue numbers through the opening's permutation — and not booked when the person holds no
 * confirmed reservation of the campaign. One 'campaign.sold_out' row per person, dedupeKey
 * `sold_out:<campaign>:<personId>`: written once, whichever node leads and however often the state
 * flips. Queue-first places carry no person (a ticket names one only where the holder verified
 * before joining), so they get no outbox row: their next status poll shows the notice.
 */
import type { Queryable } from '../core/db.ts';
import type { NoticePayloads } from '../rules/notices.ts';
import type { Campaign } from '../rules/campaign.ts';
import { shuffledPosition } from './permutation.ts';
import type { QueueState } from './store.ts';

/** Is the campaign sold out now (this node's availability view)? Wired by the app. */
export type SoldOut = (campaignId: string) => boolean;

/** Pre-queue numbers walked through the permutation at most (a bigger pre-queue: all of it). */
const PRE_QUEUE_WALK_MAX = 5_000_000;

/** The pre-queue numbers whose shuffled position is admitted; 'all' when every one is. */
export function admittedPreNumbers(state: Pick<QueueState, 'admittedUpTo' | 'frozenPreCount' | 'shuffleSeed'>): number[] | 'all' {
  const size = state.frozenPreCount;
  if (state.shuffleSeed === null || size === null) return []; // not yet shuffled: nobody admitted
  if (state.admittedUpTo >= size || size > PRE_QUEUE_WALK_MAX) return 'all';
  const admitted: number[] = [];
  for (let n = 1; n <= size; n++) if (shuffledPosition(n, size, state.shuffleSeed) <= state.admittedUpTo) admitted.push(n);
  return admitted;
}

const topic = 'campaign.sold_out' satisfies keyof NoticePayloads;

/**
 * Persons per statement: a national line holds millions of places, and one statement over all of
 * them could outlive the statement timeout (then the leader would retry it every tick). Each
 * batch walks the place table's primary key (campaign, person) from where the last one ended.
 */
export const SOLD_OUT_BATCH_PERSONS = 10_000;

/** One outbox row per admitted, unbooked person of a verify-first campaign; returns how many were new. */
export async function tellAdmittedSoldOut(db: Queryable, c: Campaign, state: QueueState, now: Date, batchPersons = SOLD_OUT_BATCH_PERSONS): Promise<number> {
  if (c.queueOrder !== 'verify-first') return 0;
  const pre = admittedPreNumbers(state);
  const mainUpTo = state.admittedUpTo - (state.frozenPreCount ?? state.preCount);
  let written = 0;
  for (let after = 0; ; ) {
    const r = await db.query<{ last: string | number | null; written: number }>(
      `WITH batch AS (
         SELECT q.campaign_id, q.person_id FROM queue_person_ticket q
          WHERE q.campaign_id = $1 AND q.person_id > $7
            AND ((NOT q.pre AND q.seq <= $4) OR (q.pre AND ($5 OR q.seq = ANY($6::bigint[]))))
          ORDER BY q.person_id
          LIMIT $8),
       told AS (
         INSERT INTO outbox (created_at, topic, payload, dedupe_key)
         SELECT $2, $3, jsonb_build_object('personId', b.person_id, 'campaignId', b.campaign_id),
                'sold_out:' || b.campaign_id || ':' || b.person_id
           FROM batch b
          WHERE NOT EXISTS (SELECT 1 FROM reservation r WHERE r.campaign_id = b.campaign_id AND r.person_id = b.person_id AND r.status = 'confirmed')
          ORDER BY b.person_id
         ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
         RETURNING 1)
       SELECT (SELECT max(person_id) FROM batch) AS last, (SELECT count(*) FROM told)::int AS written`,
      [c.id, now, topic, mainUpTo, pre === 'all', pre === 'all' ? [] : pre, after, batchPersons],
    );
    const row = r.rows[0];
    written += row?.written ?? 0;
    if (row?.last === null || row?.last === undefined) return written;
    after = Number(row.last);
  }
}
