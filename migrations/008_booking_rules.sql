-- (~520 lines, one concept: this migration re-creates book_batch and change_reservation whole,
-- as landed migration files are never edited; its notes explain what changed and why.)
-- The batch and the booking rules (issue #7): idempotency keys scoped to the caller and expiring;
-- book_batch answers every request as one-at-a-time processing in arrival order would, and no
-- request can fail its batch; change decides the kept clinic/date under the reservation's lock;
-- the proxy who booked may look up, change and cancel; the beneficiary of a proxy booking is told.

-- 1. Idempotency keys belong to the caller: the session's person (also when booking as a proxy)
--    or the staff member (agent booking), written as the audit actor ('person:12', 'staff:3',
--    'staff:admin-token'). person_id stays: the person the key booked for. A key expires
--    (config idempotencyTtlMs); an expired key is treated as absent and replaced in place.
--    Keys stored before 008 were per booked person: their scope becomes that person, and they
--    expire 24 h after they were made.
ALTER TABLE idempotency_key ADD COLUMN caller text, ADD COLUMN expires_at timestamptz;
UPDATE idempotency_key SET caller = 'person:' || person_id, expires_at = created_at + interval '24 hours';
ALTER TABLE idempotency_key
  ALTER COLUMN caller SET NOT NULL,
  ALTER COLUMN expires_at SET NOT NULL,
  ADD CONSTRAINT idempotency_key_caller_length CHECK (length(caller) BETWEEN 1 AND 80),
  DROP CONSTRAINT idempotency_key_pkey,
  ADD PRIMARY KEY (caller, key);

-- A reservation as the API shows it, as it is now (a replay tells the truth: changed dates, or
-- cancelled). The same shape book_batch answers with.
CREATE FUNCTION reservation_body(p_reservation_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'bookingNumber', r.booking_number, 'campaignId', r.campaign_id, 'status', r.status,
    'vaccine', (SELECT min(d.vaccine_id) FROM reservation_dose d WHERE d.reservation_id = r.id),
    'doses', (SELECT jsonb_agg(jsonb_build_object('dose', d.dose, 'date', d.day, 'clinicId', d.clinic_id) ORDER BY d.dose)
                FROM reservation_dose d WHERE d.reservation_id = r.id))
    FROM reservation r WHERE r.id = p_reservation_id
$$;

-- 2. book_batch, version 3 (was 006; the design notes there still hold for the claim itself).
--
-- The rule: every request gets the answer that processing the batch's requests one at a time,
-- in arrival order, would give it — whatever else is in the batch — and no request can make the
-- batch fail. Requests that share nothing are decided together in one round; a round ends before
-- the first request that shares with an earlier undecided one
--   * a person (one booking per person and campaign: the earlier one's outcome decides),
--   * a proxy (the quota is counted in order),
--   * an idempotency key of the same caller (the earlier one's outcome decides: REPLAY after a
--     success, a fresh attempt after a failure), or
--   * a dose-1 slot with another dose-2 slot (the claim below is exact when a dose-1 slot's
--     requests share their dose-2 slot, which the service guarantees and odd input may not).
-- A batch of distinct people, keys and proxies — the hot path — is one round, as before.
--
-- Steps, over a per-session temp table (book_batch_req):
--  1. Load, deciding what needs nothing else: malformed → INVALID; a person unknown to `person`
--     → PERSON_UNKNOWN; a proxy unknown to `person` → PROXY_UNKNOWN (both before anything is
--     inserted: the FKs to person would fail the batch); an unexpired stored key of the caller →
--     REPLAY (the reservation as it is now; cancelled → REPLAY_CANCELLED) or IDEMPOTENCY_MISMATCH.
--     Everything else is PENDING.
--  2. The first pending request of each (caller, key) stores the key with the answer a success
--     gives: the same key on another node waits on that row, then sees our outcome. An expired
--     row is taken over. A key stored by someone else since step 1: serialization_failure, which
--     sql.ts retries (withDbRetry); step 1 then finds it.
--  2b. Proxy quotas: created if missing (only where a slot exists, so the campaign does), locked
--     in (campaign, proxy) order before any slot.
--  3. Rounds: the round's requests are decided first by what the batch already did (a key that
--     succeeded → REPLAY / IDEMPOTENCY_MISMATCH; a person booked in the batch → ALREADY_BOOKED);
--     then the round's slots are locked in one global order, and under the locks a person with a
--     confirmed booking → ALREADY_BOOKED (read after the locks: a booking another node committed
--     before we got them is seen), a proxy at its cap → PROXY_CAP, then the claim of 006
--     (remaining read under the lock; per dose-1 slot the first `remaining` pass, of those per
--     dose-2 slot the first `remaining`).
--  4. One INSERT each into reservation, reservation_dose, audit_log, outbox (and one outbox row
--     per proxy booking, to the beneficiary's phone). A reservation not inserted because another
--     node committed one for the same person meanwhile: with p_strict the batch is retried
--     (serialization_failure), so its units were never taken from a later request of ours;
--     without (sql.ts's later attempts, so a storm cannot fail the batch) it is ALREADY_BOOKED
--     and its units go back. Keys end with the request that succeeded with them, or go.
DROP FUNCTION book_batch(jsonb, timestamptz);
CREATE FUNCTION book_batch(p_requests jsonb, p_now timestamptz, p_key_ttl_ms bigint, p_strict boolean)
RETURNS TABLE (o_i int, o_code text, o_response jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_keys int;          -- keys to store
  v_key_tids tid[];    -- where they were stored
  v_keys_claimed int;
  v_claimed int := 0;
  v_pending int;
  v_replays int;
  v_proxied int;       -- pending requests made by a proxy (0 on the hot path)
  v_boundary int;      -- the first request of the next round
  v_n int;
  v_slot_ids bigint[];
  v_slot_rem int[];
BEGIN
  -- One per session, emptied at every commit; created again after a rollback that undid it.
  IF to_regclass('pg_temp.book_batch_req') IS NULL THEN
    CREATE TEMP TABLE book_batch_req (
      i int NOT NULL,   -- arrival order (no index: maintaining it cost more than the joins it served)
      person_id bigint, campaign_id text, clinic_id text, day1 date, day2 date,
      booking_number text, idem_key text, idem_hash text,
      caller text,      -- whose key it is: the audit actor of the caller
      actor text, booked_by text,
      proxy_person_id bigint, proxy_cap int, audit jsonb,
      code text NOT NULL,         -- PENDING until decided; NEW in its round; CLAIMED = OK
      prior jsonb,                -- REPLAY*, IDEMPOTENCY_MISMATCH: the reservation / stored response
      key_new boolean NOT NULL,   -- stores its key in 2
      slot1 bigint, vaccine text, slot2 bigint,
      s2 bigint,                  -- dose-2 slot for the round rule: 0 none asked, -1 asked and missing
      answer jsonb,               -- the response if this booking succeeds
      quota_taken boolean NOT NULL DEFAULT false,
      reservation_id bigint
    ) ON COMMIT DELETE ROWS;
  END IF;
  DELETE FROM book_batch_req; -- empty unless called twice in one transaction

  -- 1. Load.
  WITH ins AS (
    INSERT INTO book_batch_req (i, person_id, campaign_id, clinic_id, day1, day2, booking_number, idem_key, idem_hash,
                                caller, actor, booked_by, proxy_person_id, proxy_cap, audit, code, prior,
                                key_new, slot1, vaccine, slot2, s2, answer)
    SELECT i, person_id, campaign_id, clinic_id, day1, day2, booking_number, idem_key, idem_hash, caller, actor,
           booked_by, proxy_person_id, proxy_cap, audit, coalesce(code, 'PENDING'), prior,
           code IS NULL AND idem_key IS NOT NULL
             AND row_number() OVER (PARTITION BY caller, idem_key, code IS NULL ORDER BY i) = 1,
           slot1, vaccine, slot2,
           CASE WHEN day2 IS NULL THEN 0 ELSE coalesce(slot2, -1) END,
           jsonb_build_object(
             'bookingNumber', booking_number,
             'campaignId', campaign_id,
             'status', 'confirmed',
             'vaccine', vaccine,
             'doses', CASE WHEN day2 IS NULL
               THEN jsonb_build_array(jsonb_build_object('dose', 1, 'date', day1, 'clinicId', clinic_id))
               ELSE jsonb_build_array(
                 jsonb_build_object('dose', 1, 'date', day1, 'clinicId', clinic_id),
                 jsonb_build_object('dose', 2, 'date', day2, 'clinicId', clinic_id)) END)
      FROM (SELECT y.*,
                   CASE WHEN y.person_id IS NULL OR y.campaign_id IS NULL OR y.clinic_id IS NULL OR y.day1 IS NULL
                          OR y.booking_number IS NULL OR y.actor IS NULL OR y.caller IS NULL
                          OR y.booked_by NOT IN ('self', 'proxy', 'agent')
                          OR (y.booked_by = 'proxy') <> (y.proxy_person_id IS NOT NULL)
                          OR (y.proxy_person_id IS NOT NULL AND coalesce(y.proxy_cap, -1) < 0)
                          OR (y.idem_key IS NOT NULL AND y.idem_hash IS NULL) THEN 'INVALID'
                        WHEN y.known IS NULL THEN 'PERSON_UNKNOWN'
                        WHEN y.proxy_person_id IS NOT NULL AND y.proxy_known IS NULL THEN 'PROXY_UNKNOWN'
                        WHEN (y.k).request_hash = y.idem_hash THEN 'REPLAY'
                        WHEN (y.k).request_hash IS NOT NULL THEN 'IDEMPOTENCY_MISMATCH' END AS code,
                   (y.k).response AS prior,
                   (y.s1).id AS slot1,
                   (y.s1).vaccine_id AS vaccine,
                   CASE WHEN y.day2 IS NOT NULL THEN
                     (SELECT s.id FROM slot s WHERE s.campaign_id = y.campaign_id AND s.clinic_id = y.clinic_id
                         AND s.day = y.day2 AND s.dose = 2 AND s.vaccine_id = (y.s1).vaccine_id) END AS slot2
              FROM (SELECT x.*,
                           (SELECT true FROM person p WHERE p.id = x.person_id) AS known,
                           CASE WHEN x.proxy_person_id IS NOT NULL THEN
                             (SELECT true FROM person p WHERE p.id = x.proxy_person_id) END AS proxy_known,
                           (SELECT k FROM idempotency_key k
                             WHERE k.caller = x.caller AND k.key = x.idem_key AND k.expires_at > p_now) AS k,
                           -- the campaign's rule gives a clinic-day one dose-1 vaccine (else: the first)
                           (SELECT s FROM slot s
                             WHERE s.campaign_id = x.campaign_id AND s.clinic_id = x.clinic_id AND s.day = x.day1 AND s.dose = 1
                             ORDER BY s.vaccine_id LIMIT 1) AS s1
                      FROM (SELECT j.i, j.person_id, j.campaign_id, j.clinic_id, j.day1, j.day2, j.booking_number,
                                   j.idem_key, j.idem_hash, j.caller, j.actor, coalesce(j.booked_by, 'self') AS booked_by,
                                   j.proxy_person_id, j.proxy_cap, j.audit
                              FROM jsonb_to_recordset(p_requests) AS j (
                                     i int, person_id bigint, campaign_id text, clinic_id text, day1 date, day2 date,
                                     booking_number text, idem_key text, idem_hash text, caller text, actor text,
                                     booked_by text, proxy_person_id bigint, proxy_cap int, audit jsonb)) x
                    OFFSET 0) y
            OFFSET 0) z
    RETURNING code, key_new, proxy_person_id)
  SELECT count(*) FILTER (WHERE key_new), count(*) FILTER (WHERE code = 'PENDING'), count(*) FILTER (WHERE code = 'REPLAY'),
         count(*) FILTER (WHERE proxy_person_id IS NOT NULL AND code = 'PENDING')
    INTO v_keys, v_pending, v_replays, v_proxied FROM ins;

  -- 1b. A replay tells the truth: the reservation as it is now, or that it was cancelled.
  IF v_replays > 0 THEN
    UPDATE book_batch_req r
       SET code = CASE WHEN b.status = 'confirmed' THEN 'REPLAY' ELSE 'REPLAY_CANCELLED' END,
           prior = reservation_body(b.id)
      FROM reservation b
     WHERE r.code = 'REPLAY' AND b.booking_number = r.prior->>'bookingNumber';
  END IF;

  -- 2. Keys, stored with the answer a success gives; an expired row is taken over in place.
  IF v_keys > 0 THEN
    WITH ins AS (
      INSERT INTO idempotency_key AS k (person_id, caller, key, request_hash, response, created_at, expires_at)
      SELECT person_id, caller, idem_key, idem_hash, answer, p_now, p_now + p_key_ttl_ms * interval '1 millisecond'
        FROM book_batch_req WHERE key_new
       ORDER BY caller, idem_key -- the same order in every batch
      ON CONFLICT (caller, key) DO UPDATE
        SET person_id = excluded.person_id, request_hash = excluded.request_hash, response = excluded.response,
            created_at = excluded.created_at, expires_at = excluded.expires_at
        WHERE k.expires_at <= p_now
      RETURNING k.ctid)
    SELECT array_agg(ctid) INTO v_key_tids FROM ins;
    IF coalesce(cardinality(v_key_tids), 0) <> v_keys THEN
      RAISE EXCEPTION 'book_batch: an idempotency key was stored concurrently'
        USING ERRCODE = 'serialization_failure', HINT = 'Retry the batch; the stored key then answers it.';
    END IF;
  END IF;

  -- 2b. Proxy quotas: created where a slot (hence the campaign) exists, then locked in one order.
  IF v_proxied > 0 THEN
    INSERT INTO proxy_quota (campaign_id, proxy_person_id, cap)
    SELECT campaign_id, proxy_person_id, max(proxy_cap) FROM book_batch_req
     WHERE code = 'PENDING' AND proxy_person_id IS NOT NULL AND slot1 IS NOT NULL
     GROUP BY campaign_id, proxy_person_id ORDER BY campaign_id, proxy_person_id
    ON CONFLICT DO NOTHING;
    PERFORM 1 FROM proxy_quota q
     WHERE (q.campaign_id, q.proxy_person_id) IN
           (SELECT campaign_id, proxy_person_id FROM book_batch_req WHERE code = 'PENDING' AND proxy_person_id IS NOT NULL)
     ORDER BY q.campaign_id, q.proxy_person_id
       FOR NO KEY UPDATE;
  END IF;

  -- 3. Rounds.
  WHILE v_pending > 0 LOOP
    -- The round ends before the first pending request that shares a person, a proxy or a key
    -- with an earlier pending one, or a dose-1 slot with another dose-2 slot.
    SELECT min(w.i) INTO v_boundary
      FROM (SELECT i, s2,
                   lag(i) OVER (PARTITION BY campaign_id, person_id ORDER BY i) AS same_person,
                   CASE WHEN proxy_person_id IS NOT NULL THEN
                     lag(i) OVER (PARTITION BY campaign_id, proxy_person_id ORDER BY i) END AS same_proxy,
                   CASE WHEN idem_key IS NOT NULL THEN lag(i) OVER (PARTITION BY caller, idem_key ORDER BY i) END AS same_key,
                   CASE WHEN slot1 IS NOT NULL THEN first_value(s2) OVER (PARTITION BY slot1 ORDER BY i) END AS first_s2
              FROM book_batch_req WHERE code = 'PENDING') w
     WHERE w.same_person IS NOT NULL OR w.same_proxy IS NOT NULL OR w.same_key IS NOT NULL OR w.first_s2 <> w.s2;

    -- What the batch already did decides first (the order of one-at-a-time step 1: key, then person).
    IF v_claimed = 0 THEN
      UPDATE book_batch_req SET code = 'NEW' WHERE code = 'PENDING' AND (v_boundary IS NULL OR i < v_boundary);
      GET DIAGNOSTICS v_n = ROW_COUNT;
    ELSE
      UPDATE book_batch_req r
         SET code = CASE WHEN d.key_hash IS NULL AND NOT d.person_claimed THEN 'NEW'
                         WHEN d.key_hash IS NULL THEN 'ALREADY_BOOKED'
                         WHEN d.key_hash = r.idem_hash THEN 'REPLAY'
                         ELSE 'IDEMPOTENCY_MISMATCH' END,
             prior = d.key_answer
        FROM (SELECT p.i, c.idem_hash AS key_hash, c.answer AS key_answer,
                     (p.campaign_id, p.person_id) IN (SELECT campaign_id, person_id FROM book_batch_req WHERE code = 'CLAIMED') AS person_claimed
                FROM book_batch_req p
                LEFT JOIN book_batch_req c ON c.code = 'CLAIMED' AND c.caller = p.caller AND c.idem_key = p.idem_key
               WHERE p.code = 'PENDING' AND (v_boundary IS NULL OR p.i < v_boundary)) d
       WHERE r.i = d.i;
      GET DIAGNOSTICS v_n = ROW_COUNT;
    END IF;
    v_pending := v_pending - v_n;
    IF v_n = 0 THEN RAISE EXCEPTION 'invariant violated: book_batch round without a request'; END IF;

    -- Lock this round's slots in one global order (dose, clinic, day); read remaining under it.
    SELECT array_agg(l.id), array_agg(l.remaining) INTO v_slot_ids, v_slot_rem
      FROM (SELECT s.id, s.remaining FROM slot s
             WHERE s.id = ANY (ARRAY(SELECT slot1 FROM book_batch_req WHERE code = 'NEW'
                                     UNION SELECT slot2 FROM book_batch_req WHERE code = 'NEW'))
             ORDER BY s.dose, s.clinic_id, s.day, s.campaign_id, s.vaccine_id
             FOR NO KEY UPDATE) l;
    -- A person with a confirmed booking: ALREADY_BOOKED. Read after the slot locks, so a booking
    -- that another node committed before we got them is seen (as one-at-a-time would see it).
    UPDATE book_batch_req r SET code = 'ALREADY_BOOKED'
     WHERE r.code = 'NEW' AND (SELECT true FROM reservation b WHERE b.campaign_id = r.campaign_id
                                 AND b.person_id = r.person_id AND b.status = 'confirmed');
    -- A proxy at its cap: PROXY_CAP. At most one request per proxy is NEW in a round, and `used`
    -- already counts the proxy's claims of earlier rounds.
    IF v_proxied > 0 THEN
      UPDATE book_batch_req r SET code = 'PROXY_CAP'
        FROM proxy_quota q
       WHERE r.code = 'NEW' AND r.proxy_person_id IS NOT NULL
         AND q.campaign_id = r.campaign_id AND q.proxy_person_id = r.proxy_person_id AND q.used >= q.cap;
    END IF;

    -- The claim of 006: in arrival order, per dose-1 slot the first `remaining` requests pass
    -- dose 1; of those, per dose-2 slot the first `remaining` pass dose 2 (one-at-a-time, a dose-2
    -- failure gives its dose-1 unit back to the next, who then fails dose 2 too: the round rule
    -- gives a dose-1 slot's requests one dose-2 slot). No slot → SLOT_FULL; no dose-2 slot →
    -- DOSE2_FULL. Each slot drops by its claims in one UPDATE.
    WITH u AS (
      UPDATE book_batch_req r
         SET code = q.code,
             reservation_id = CASE WHEN q.code = 'CLAIMED' THEN nextval('reservation_id_seq') END
        FROM (SELECT i,
                     CASE WHEN rem1 IS NULL THEN 'SLOT_FULL'
                          WHEN ok THEN 'CLAIMED'
                          WHEN rk1 <= rem1 OR count(*) FILTER (WHERE ok) OVER (PARTITION BY slot1) < rem1 THEN 'DOSE2_FULL'
                          ELSE 'SLOT_FULL' END AS code
                FROM (SELECT *, coalesce(rk1 <= rem1 AND (day2 IS NULL OR
                                  count(*) FILTER (WHERE rk1 <= rem1) OVER (PARTITION BY slot2 ORDER BY i ROWS UNBOUNDED PRECEDING)
                                  <= v_slot_rem[array_position(v_slot_ids, slot2)]), false) AS ok
                        FROM (SELECT i, slot1, slot2, day2,
                                     v_slot_rem[array_position(v_slot_ids, slot1)] AS rem1,
                                     row_number() OVER (PARTITION BY slot1 ORDER BY i) AS rk1
                                FROM book_batch_req WHERE code = 'NEW') w) v) q
       WHERE r.i = q.i
      RETURNING r.code, r.slot1, r.slot2),
    claims AS (
      UPDATE slot s SET remaining = s.remaining - c.n
        FROM (SELECT id, count(*)::int AS n
                FROM (SELECT slot1 AS id FROM u WHERE code = 'CLAIMED'
                      UNION ALL
                      SELECT slot2 FROM u WHERE code = 'CLAIMED' AND slot2 IS NOT NULL) x
               GROUP BY id) c
       WHERE s.id = c.id AND s.id = ANY (v_slot_ids))
    SELECT v_claimed + count(*) FILTER (WHERE code = 'CLAIMED') INTO v_claimed FROM u;

    -- This round's proxy claims count against their quotas (the CHECK used <= cap backs it).
    IF v_proxied > 0 THEN
      WITH t AS (
        UPDATE book_batch_req SET quota_taken = true
         WHERE code = 'CLAIMED' AND proxy_person_id IS NOT NULL AND NOT quota_taken
        RETURNING campaign_id, proxy_person_id)
      UPDATE proxy_quota q SET used = q.used + c.n
        FROM (SELECT campaign_id, proxy_person_id, count(*)::int AS n FROM t GROUP BY campaign_id, proxy_person_id) c
       WHERE q.campaign_id = c.campaign_id AND q.proxy_person_id = c.proxy_person_id;
    END IF;
  END LOOP;

  -- 4. Writes, one statement per table; reservation ids were drawn in 3.
  INSERT INTO reservation (id, booking_number, campaign_id, person_id, clinic_id, status, booked_by, proxy_person_id, created_at, updated_at)
  OVERRIDING SYSTEM VALUE
  SELECT reservation_id, booking_number, campaign_id, person_id, clinic_id, 'confirmed', booked_by, proxy_person_id, p_now, p_now
    FROM book_batch_req WHERE code = 'CLAIMED'
   ORDER BY campaign_id, person_id -- the same order in every batch
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n < v_claimed THEN
    -- Not inserted: a booking another node committed meanwhile for the same person, or a
    -- booking-number collision (60 random bits).
    UPDATE book_batch_req r
       SET code = CASE WHEN (SELECT true FROM reservation b WHERE b.campaign_id = r.campaign_id
                               AND b.person_id = r.person_id AND b.status = 'confirmed')
                       THEN 'ALREADY_BOOKED' ELSE 'BOOKING_NUMBER_TAKEN' END
     WHERE r.code = 'CLAIMED' AND (SELECT true FROM reservation b WHERE b.id = r.reservation_id) IS NULL;
    -- The other node's booking was not visible in step 1; run again and it is (sql.ts retries).
    IF p_strict AND EXISTS (SELECT 1 FROM book_batch_req WHERE code = 'ALREADY_BOOKED' AND reservation_id IS NOT NULL) THEN
      RAISE EXCEPTION 'book_batch: a booking for one of these people was committed concurrently'
        USING ERRCODE = 'serialization_failure', HINT = 'Retry the batch; step 1 then sees that booking.';
    END IF;
    UPDATE slot s SET remaining = s.remaining + c.n
      FROM (SELECT id, count(*)::int AS n
              FROM (SELECT slot1 AS id FROM book_batch_req WHERE code <> 'CLAIMED' AND reservation_id IS NOT NULL
                    UNION ALL
                    SELECT slot2 FROM book_batch_req WHERE code <> 'CLAIMED' AND reservation_id IS NOT NULL AND slot2 IS NOT NULL) u
             GROUP BY id) c
     WHERE s.id = c.id;
    IF v_proxied > 0 THEN -- and their proxy quota
      UPDATE proxy_quota q SET used = q.used - c.n
        FROM (SELECT campaign_id, proxy_person_id, count(*)::int AS n FROM book_batch_req
               WHERE code <> 'CLAIMED' AND reservation_id IS NOT NULL AND quota_taken
               GROUP BY campaign_id, proxy_person_id) c
       WHERE q.campaign_id = c.campaign_id AND q.proxy_person_id = c.proxy_person_id;
    END IF;
  END IF;

  INSERT INTO reservation_dose (reservation_id, dose, slot_id, clinic_id, day, vaccine_id)
  SELECT reservation_id, 1, slot1, clinic_id, day1, vaccine FROM book_batch_req WHERE code = 'CLAIMED'
  UNION ALL
  SELECT reservation_id, 2, slot2, clinic_id, day2, vaccine FROM book_batch_req WHERE code = 'CLAIMED' AND day2 IS NOT NULL;
  INSERT INTO audit_log (at, actor, action, reservation_id, person_id, detail)
  SELECT p_now, actor, 'reservation.created', reservation_id, person_id,
         CASE WHEN audit IS NULL THEN answer ELSE answer || audit END
    FROM book_batch_req WHERE code = 'CLAIMED' ORDER BY i;
  INSERT INTO outbox (created_at, topic, payload)
  SELECT p_now, 'reservation.confirmed', jsonb_build_object('personId', person_id, 'reservation', answer)
    FROM book_batch_req WHERE code = 'CLAIMED' ORDER BY i;
  -- The beneficiary of a proxy booking is told, at their phone: who (the stated relationship) and
  -- what (the booking number, the doses). Never the RRN.
  IF v_proxied > 0 THEN
    INSERT INTO outbox (created_at, topic, payload)
    SELECT p_now, 'reservation.proxy_booked',
           jsonb_build_object('kind', 'proxy_booked', 'personId', r.person_id, 'phone', p.phone,
                              'relationship', r.audit->'proxy'->>'relationship', 'bookingNumber', r.booking_number,
                              'reservation', r.answer)
      FROM book_batch_req r JOIN person p ON p.id = r.person_id
     WHERE r.code = 'CLAIMED' AND r.proxy_person_id IS NOT NULL ORDER BY r.i;
  END IF;

  -- Keys end with the request that succeeded with them (the first pending one, or a later one
  -- after the first failed); a key nobody succeeded with goes, so a retry runs afresh.
  IF v_keys > 0 THEN
    SELECT count(*) INTO v_keys_claimed FROM book_batch_req WHERE key_new AND code = 'CLAIMED';
    IF v_keys_claimed < v_keys THEN
      UPDATE idempotency_key k
         SET person_id = c.person_id, request_hash = c.idem_hash, response = c.answer
        FROM book_batch_req c
       WHERE c.code = 'CLAIMED' AND NOT c.key_new AND c.idem_key IS NOT NULL
         AND k.caller = c.caller AND k.key = c.idem_key;
      DELETE FROM idempotency_key k USING book_batch_req r
       WHERE k.ctid = ANY (v_key_tids) AND r.key_new AND r.code <> 'CLAIMED'
         AND k.caller = r.caller AND k.key = r.idem_key
         AND NOT EXISTS (SELECT 1 FROM book_batch_req c WHERE c.code = 'CLAIMED' AND c.caller = r.caller AND c.idem_key = r.idem_key);
    END IF;
  END IF;

  RETURN QUERY
  SELECT r.i,
         CASE WHEN r.code = 'CLAIMED' THEN 'OK' ELSE r.code END,
         CASE WHEN r.code = 'CLAIMED' THEN r.answer
              WHEN r.code IN ('REPLAY', 'REPLAY_CANCELLED', 'IDEMPOTENCY_MISMATCH') THEN r.prior END
    FROM book_batch_req r ORDER BY r.i;
END $$;

-- 3. change_reservation, version 2: the kept clinic or date is the reservation's own, read under
--    its row lock (NULL = keep), so two concurrent changes of one reservation compose instead of
--    the second undoing the first. The new dose-1 slot is picked as book_batch picks it (a
--    clinic-day with two vaccines: the first), the old and new slots are locked in book_batch's
--    global order, and the room is checked under the locks before anything is written.
--    The proxy who booked may change it too (p_person_id is the caller).
DROP FUNCTION change_reservation(text, bigint, text, date, date, date, int, text, timestamptz);
CREATE FUNCTION change_reservation(
  p_booking_number text, p_person_id bigint, p_clinic_id text, p_day1 date, p_day2 date,
  p_first_day date, p_last_day date, p_today date, p_freeze_days int, p_actor text, p_now timestamptz)
RETURNS TABLE (o_code text, o_response jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_res record;
  v_old_clinic text;
  v_old_day1 date;
  v_old_day2 date;
  v_old_slots bigint[];
  v_clinic text;
  v_day1 date;
  v_day2 date;
  v_vaccine text;
  v_slot1 bigint;
  v_slot2 bigint;
  v_response jsonb;
BEGIN
  SELECT * INTO v_res FROM reservation
   WHERE booking_number = p_booking_number AND (person_id = p_person_id OR proxy_person_id = p_person_id) FOR UPDATE;
  IF NOT FOUND THEN o_code := 'NOT_FOUND'; RETURN NEXT; RETURN; END IF;
  IF v_res.status <> 'confirmed' THEN o_code := 'CANCELLED'; RETURN NEXT; RETURN; END IF;

  SELECT day, clinic_id INTO v_old_day1, v_old_clinic FROM reservation_dose WHERE reservation_id = v_res.id AND dose = 1;
  SELECT day INTO v_old_day2 FROM reservation_dose WHERE reservation_id = v_res.id AND dose = 2;
  v_old_slots := ARRAY(SELECT slot_id FROM reservation_dose WHERE reservation_id = v_res.id);
  v_clinic := coalesce(p_clinic_id, v_old_clinic);
  IF p_day1 IS NULL THEN v_day1 := v_old_day1; v_day2 := v_old_day2; ELSE v_day1 := p_day1; v_day2 := p_day2; END IF;

  IF v_clinic = v_old_clinic AND v_day1 = v_old_day1 THEN o_code := 'NOTHING'; RETURN NEXT; RETURN; END IF;
  IF v_old_day1 - p_today < p_freeze_days OR v_day1 - p_today < p_freeze_days THEN
    o_code := 'CHANGE_TOO_LATE'; RETURN NEXT; RETURN;
  END IF;
  IF v_day1 < p_first_day OR v_day1 > p_last_day THEN o_code := 'NOT_OFFERED'; RETURN NEXT; RETURN; END IF;

  SELECT id, vaccine_id INTO v_slot1, v_vaccine FROM slot
   WHERE campaign_id = v_res.campaign_id AND clinic_id = v_clinic AND day = v_day1 AND dose = 1
   ORDER BY vaccine_id LIMIT 1;
  IF NOT FOUND THEN o_code := 'NOT_OFFERED'; RETURN NEXT; RETURN; END IF;
  IF v_day2 IS NOT NULL THEN
    SELECT id INTO v_slot2 FROM slot
     WHERE campaign_id = v_res.campaign_id AND clinic_id = v_clinic AND day = v_day2 AND dose = 2 AND vaccine_id = v_vaccine;
    IF NOT FOUND THEN o_code := 'DOSE2_FULL'; RETURN NEXT; RETURN; END IF;
  END IF;

  PERFORM 1 FROM slot WHERE id = ANY (v_old_slots || ARRAY[v_slot1, v_slot2])
   ORDER BY dose, clinic_id, day, campaign_id, vaccine_id FOR NO KEY UPDATE;
  -- Room under the locks, counting the unit this reservation gives back where it keeps a slot.
  IF (SELECT remaining FROM slot WHERE id = v_slot1) + (CASE WHEN v_slot1 = ANY (v_old_slots) THEN 1 ELSE 0 END) < 1 THEN
    o_code := 'SLOT_FULL'; RETURN NEXT; RETURN;
  END IF;
  IF v_slot2 IS NOT NULL AND
     (SELECT remaining FROM slot WHERE id = v_slot2) + (CASE WHEN v_slot2 = ANY (v_old_slots) THEN 1 ELSE 0 END) < 1 THEN
    o_code := 'DOSE2_FULL'; RETURN NEXT; RETURN;
  END IF;

  -- Net moves only: a slot kept is not touched.
  UPDATE slot s SET remaining = s.remaining + m.delta
    FROM (SELECT id, sum(delta)::int AS delta
            FROM (SELECT unnest(v_old_slots) AS id, 1 AS delta
                  UNION ALL SELECT unnest(array_remove(ARRAY[v_slot1, v_slot2], NULL)), -1) x
           GROUP BY id HAVING sum(delta) <> 0) m
   WHERE s.id = m.id;

  UPDATE reservation_dose SET slot_id = v_slot1, clinic_id = v_clinic, day = v_day1, vaccine_id = v_vaccine
   WHERE reservation_id = v_res.id AND dose = 1;
  IF v_slot2 IS NULL THEN
    DELETE FROM reservation_dose WHERE reservation_id = v_res.id AND dose = 2;
  ELSE
    INSERT INTO reservation_dose (reservation_id, dose, slot_id, clinic_id, day, vaccine_id)
    VALUES (v_res.id, 2, v_slot2, v_clinic, v_day2, v_vaccine)
    ON CONFLICT (reservation_id, dose) DO UPDATE
      SET slot_id = excluded.slot_id, clinic_id = excluded.clinic_id, day = excluded.day, vaccine_id = excluded.vaccine_id;
  END IF;
  UPDATE reservation SET clinic_id = v_clinic, updated_at = p_now WHERE id = v_res.id;

  v_response := reservation_body(v_res.id);
  INSERT INTO audit_log (at, actor, action, reservation_id, person_id, detail)
  VALUES (p_now, p_actor, 'reservation.changed', v_res.id, v_res.person_id,
          jsonb_build_object('fromDay1', v_old_day1, 'fromClinicId', v_old_clinic, 'to', v_response));
  INSERT INTO outbox (created_at, topic, payload)
  VALUES (p_now, 'reservation.changed', jsonb_build_object('personId', v_res.person_id, 'reservation', v_response));
  o_code := 'OK'; o_response := v_response; RETURN NEXT;
END $$;

-- 4. cancel_reservation: the proxy who booked may cancel too; the audit row and the notice are
--    the beneficiary's (person_id), the actor says who cancelled.
CREATE OR REPLACE FUNCTION cancel_reservation(
  p_booking_number text, p_person_id bigint, p_today date, p_until_days int, p_actor text, p_now timestamptz)
RETURNS TABLE (o_code text, o_response jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_res record;
  v_day1 date;
BEGIN
  SELECT * INTO v_res FROM reservation
   WHERE booking_number = p_booking_number AND (person_id = p_person_id OR proxy_person_id = p_person_id) FOR UPDATE;
  IF NOT FOUND THEN o_code := 'NOT_FOUND'; RETURN NEXT; RETURN; END IF;
  IF v_res.status <> 'confirmed' THEN o_code := 'CANCELLED'; RETURN NEXT; RETURN; END IF;
  SELECT day INTO v_day1 FROM reservation_dose WHERE reservation_id = v_res.id AND dose = 1;
  IF v_day1 - p_today < p_until_days THEN o_code := 'CANCEL_TOO_LATE'; RETURN NEXT; RETURN; END IF;

  UPDATE reservation SET status = 'cancelled', cancelled_at = p_now, updated_at = p_now WHERE id = v_res.id;
  UPDATE slot s SET remaining = s.remaining + 1
    FROM reservation_dose d WHERE d.reservation_id = v_res.id AND s.id = d.slot_id;
  INSERT INTO audit_log (at, actor, action, reservation_id, person_id, detail)
  VALUES (p_now, p_actor, 'reservation.cancelled', v_res.id, v_res.person_id, jsonb_build_object('bookingNumber', p_booking_number));
  INSERT INTO outbox (created_at, topic, payload)
  VALUES (p_now, 'reservation.cancelled', jsonb_build_object('personId', v_res.person_id, 'bookingNumber', p_booking_number));
  o_code := 'OK';
  o_response := jsonb_build_object('bookingNumber', p_booking_number, 'status', 'cancelled');
  RETURN NEXT;
END $$;
