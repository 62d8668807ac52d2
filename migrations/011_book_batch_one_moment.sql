-- book_batch answers a batch as of one moment (issue #8). Its rounds read bookings afresh, so
-- when another node committed a booking between two rounds, a person's request refused in an
-- earlier round (SLOT_FULL, DOSE2_FULL, PROXY_CAP) kept that answer while a later one saw the
-- booking (ALREADY_BOOKED): an answer no serial order of the batches gives (the fast-check
-- property of test/booking/batch-isolation.property.test.ts, on PostgreSQL). Step 4b, after 4's
-- reservation insert, gives those requests ALREADY_BOOKED. Only this function changes; its
-- signature is 008_booking_rules.sql's, and its body is 008's but for v_rounds, v_conflicts and
-- 4b (a function is replaced whole, so it is restated). Why: docs/ARCHITECTURE.md, Booking.

CREATE OR REPLACE FUNCTION book_batch(p_requests jsonb, p_now timestamptz, p_key_ttl_ms bigint, p_strict boolean)
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
  v_rounds int := 0;
  v_conflicts boolean := false; -- a reservation not inserted in 4
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
    v_rounds := v_rounds + 1;
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
    v_conflicts := true;
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

  -- 4b. One moment for the whole batch (002). Each round reads bookings afresh, so a booking
  -- another node committed between two rounds (or seen by 4's insert) is seen by the later ones
  -- only; a request that failed earlier for a person booked so must answer ALREADY_BOOKED, as it
  -- would one at a time after that booking (a round checks the booking before the cap and the
  -- claim). A failed request took nothing, so the rest stands. One round, no conflict: one moment.
  IF v_rounds > 1 OR v_conflicts THEN
    UPDATE book_batch_req r SET code = 'ALREADY_BOOKED'
     WHERE r.code IN ('SLOT_FULL', 'DOSE2_FULL', 'PROXY_CAP')
       AND (SELECT true FROM reservation b WHERE b.campaign_id = r.campaign_id AND b.person_id = r.person_id
               AND b.status = 'confirmed'
               AND NOT EXISTS (SELECT 1 FROM book_batch_req c WHERE c.reservation_id = b.id));
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

