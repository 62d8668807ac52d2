-- Booking statements. Each runs server-side in one round trip. A claim never takes more than the
-- slot holds: either one conditional UPDATE (remaining > 0), or the slot's row lock first and then
-- at most the remaining read under it; the slot_remaining_in_range CHECK backs both. One booking
-- per person is the reservation_one_per_person unique index. Nothing is read and then written
-- from application code.

-- book_batch: many bookings in ONE transaction, set-based.
--
-- Why batch: at opening thousands of people pick the same clinic-day. One transaction per booking
-- queues them all on that slot's row lock; a batch takes the lock once and shares one commit
-- among up to bookingBatchMax (256) bookings. The Batcher (src/booking/batcher.ts) sends one
-- batch at a time per node.
--
-- Why set-based: the first batched version ran each request in its own subtransaction
-- (BEGIN … EXCEPTION) with its own slot UPDATE and its own INSERT per table, all of it while the
-- batch held the hot slot's lock. `npm run bench:booking` (64 clients on one clinic-day,
-- PostgreSQL 15 local, 2 vCPUs, fsync on) measured it at 1.36× and 0.93× a bare autocommit
-- `UPDATE … SET remaining = remaining - 1 … AND remaining > 0` loop (medians of two runs). This
-- version locks each slot once per batch, claims with one UPDATE per slot, writes one INSERT per
-- table and uses no subtransaction. With the four foreign keys that reservation_dose.slot_id →
-- slot already implies dropped (001; their checks were ~30 % of this function's time) and the
-- Batcher sending full batches of 64, the same bench measured 4.88×, 3.36× and 3.22× on the hot
-- clinic-day (6,332 bookings/s vs 1,299 UPDATE/s in the quietest of three runs; single rounds
-- 2.76–5.46×), 0 oversold; spread over 1,000 clinic-days it is 0.33–0.40× (nothing to share).
-- Figures and machine: docs/ARCHITECTURE.md, Booking.
--
-- Steps, over a per-session temp table (book_batch_req) that holds the requests and their state:
--  1. Load, deciding what needs no lock: a person id unknown to `person` → PERSON_UNKNOWN, before
--     anything is inserted (the FKs to person would fail the whole batch); a stored key →
--     REPLAY or IDEMPOTENCY_MISMATCH; someone with a confirmed booking → ALREADY_BOOKED (so it
--     wins over "full"). A key repeated within the batch: only its first request is processed;
--     the repeats end with its answer (a success as REPLAY — what a retry after it gets — another
--     body as IDEMPOTENCY_MISMATCH). A person's second request with another key waits for the
--     first one's outcome (next round: ALREADY_BOOKED if it succeeded, its own claim if not).
--  2. The keys of the undecided requests are stored, with the answer a success gives: a request
--     with the same key on another node waits on that row, then sees our outcome. A key stored
--     by someone between the lookup and this insert fails the batch with serialization_failure,
--     which sql.ts retries (withDbRetry); the key is then found.
--  3. Claims, per round: the round's slots are locked in one global order (dose, clinic, day) —
--     so concurrent batches cannot deadlock each other — and remaining is read under the lock.
--     In arrival order, per dose-1 slot the first `remaining` requests pass; of those, per dose-2
--     slot the first `remaining`; each slot then drops by its count in one UPDATE. The codes are
--     those of one-at-a-time processing in arrival order. A deadlock with change/cancel (or a
--     rare second round) is retried whole by sql.ts.
--  4. One INSERT each into reservation (ids drawn during the claim; ON CONFLICT DO NOTHING: a
--     booking another node committed meanwhile for the same person → ALREADY_BOOKED, a
--     booking-number collision → BOOKING_NUMBER_TAKEN, units given back), reservation_dose,
--     audit_log and outbox; the keys of failed requests are deleted (as the subtransaction
--     rollback did), so a retry with one of them runs afresh.
-- Lookups into shared tables are correlated subqueries (index probes) or by tuple id: plans here
-- are cached for the session, and the booking tables may have been empty when they were made.
-- The temp table needs the TEMPORARY privilege (PUBLIC has it by default).
-- Replaced by migrations/006_proxies_staff.sql (CREATE OR REPLACE, with proxy fields and the proxy
-- quota): that is the live version; these steps still describe it.
CREATE FUNCTION book_batch(p_requests jsonb, p_now timestamptz)
RETURNS TABLE (o_i int, o_code text, o_response jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_keys int;          -- keys to store
  v_key_tids tid[];    -- where they were stored
  v_keys_kept int := 0;
  v_claimed int := 0;
  v_later int;
  v_repeats int;
  v_n int;
  v_slot_ids bigint[]; -- this round's slots, locked; and their remaining under the lock
  v_slot_rem int[];
BEGIN
  -- One per session, emptied at every commit; created again after a rollback that undid it.
  IF to_regclass('pg_temp.book_batch_req') IS NULL THEN
    CREATE TEMP TABLE book_batch_req (
      i int NOT NULL,   -- arrival order (no index: maintaining it cost more than the joins it served)
      person_id bigint NOT NULL, campaign_id text NOT NULL, clinic_id text NOT NULL, day1 date NOT NULL, day2 date,
      booking_number text NOT NULL, idem_key text, idem_hash text, actor text NOT NULL, booked_by text NOT NULL,
      owner int,        -- the batch's first request with the same (person, key), if not this one
      code text,        -- null: a repeated key, answered last; NEW and LATER: to claim; CLAIMED = OK
      prior jsonb,      -- REPLAY / IDEMPOTENCY_MISMATCH: the stored response
      key_new boolean NOT NULL, -- this request stores its idempotency key
      slot1 bigint, vaccine text, slot2 bigint,
      answer jsonb,     -- the response if this booking succeeds
      reservation_id bigint
    ) ON COMMIT DELETE ROWS;
  END IF;
  DELETE FROM book_batch_req; -- empty unless called twice in one transaction

  -- 1. Load, deciding what needs no lock (unknown person, stored key, already booked, repeated key
  --    or person) and finding the slots (locked in 3) and the answer a success gives.
  WITH ins AS (
    INSERT INTO book_batch_req (i, person_id, campaign_id, clinic_id, day1, day2, booking_number, idem_key, idem_hash,
                                actor, booked_by, owner, code, prior, key_new, slot1, vaccine, slot2, answer)
    SELECT i, person_id, campaign_id, clinic_id, day1, day2, booking_number, idem_key, idem_hash, actor, booked_by, owner,
           CASE WHEN code IS NOT NULL OR owner IS NOT NULL THEN code
                -- a person's second request (another key) waits for the first one's outcome
                WHEN row_number() OVER (PARTITION BY campaign_id, person_id, code IS NULL AND owner IS NULL ORDER BY i) = 1
                THEN 'NEW' ELSE 'LATER' END,
           prior,
           code IS NULL AND owner IS NULL AND idem_key IS NOT NULL,
           slot1, vaccine, slot2,
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
                   CASE WHEN y.known IS NULL THEN 'PERSON_UNKNOWN'
                        WHEN (y.k).request_hash = y.idem_hash THEN 'REPLAY'
                        WHEN (y.k).request_hash IS NOT NULL THEN 'IDEMPOTENCY_MISMATCH'
                        WHEN y.owner IS NOT NULL THEN NULL
                        -- only the message is chosen here; the unique index enforces one booking
                        WHEN (SELECT true FROM reservation b WHERE b.campaign_id = y.campaign_id
                                AND b.person_id = y.person_id AND b.status = 'confirmed') THEN 'ALREADY_BOOKED' END AS code,
                   (y.k).response AS prior,
                   (y.s1).id AS slot1,
                   (y.s1).vaccine_id AS vaccine,
                   CASE WHEN y.day2 IS NOT NULL THEN
                     (SELECT s.id FROM slot s WHERE s.campaign_id = y.campaign_id AND s.clinic_id = y.clinic_id
                         AND s.day = y.day2 AND s.dose = 2 AND s.vaccine_id = (y.s1).vaccine_id) END AS slot2
              FROM (SELECT x.*,
                           (SELECT true FROM person p WHERE p.id = x.person_id) AS known,
                           (SELECT k FROM idempotency_key k WHERE k.person_id = x.person_id AND k.key = x.idem_key) AS k,
                           -- the campaign's rule gives a clinic-day one dose-1 vaccine (else: the first)
                           (SELECT s FROM slot s
                             WHERE s.campaign_id = x.campaign_id AND s.clinic_id = x.clinic_id AND s.day = x.day1 AND s.dose = 1
                             ORDER BY s.vaccine_id LIMIT 1) AS s1
                      FROM (SELECT j.i, j.person_id, j.campaign_id, j.clinic_id, j.day1, j.day2, j.booking_number,
                                   j.idem_key, j.idem_hash, j.actor, coalesce(j.booked_by, 'self') AS booked_by,
                                   CASE WHEN j.idem_key IS NOT NULL
                                        THEN nullif(min(j.i) OVER (PARTITION BY j.person_id, j.idem_key), j.i) END AS owner
                              FROM jsonb_to_recordset(p_requests) AS j (
                                     i int, person_id bigint, campaign_id text, clinic_id text, day1 date, day2 date,
                                     booking_number text, idem_key text, idem_hash text, actor text, booked_by text)) x
                    OFFSET 0) y
            OFFSET 0) z
    RETURNING code, key_new)
  SELECT count(*) FILTER (WHERE key_new), count(*) FILTER (WHERE code = 'LATER'), count(*) FILTER (WHERE code IS NULL)
    INTO v_keys, v_later, v_repeats FROM ins;

  -- 2. Keys of undecided requests, stored with the answer a success gives (a failure deletes its
  --    key in 4). A key stored by someone else since the lookup in 1: serialization_failure.
  IF v_keys > 0 THEN
    WITH ins AS (
      INSERT INTO idempotency_key (person_id, key, request_hash, response, created_at)
      SELECT person_id, idem_key, idem_hash, answer, p_now FROM book_batch_req WHERE key_new
       ORDER BY person_id, idem_key -- the same order in every batch
      ON CONFLICT DO NOTHING
      RETURNING ctid)
    SELECT array_agg(ctid) INTO v_key_tids FROM ins;
    IF coalesce(cardinality(v_key_tids), 0) <> v_keys THEN
      RAISE EXCEPTION 'book_batch: an idempotency key was stored concurrently'
        USING ERRCODE = 'serialization_failure', HINT = 'Retry the batch; the stored key then answers it.';
    END IF;
  END IF;

  -- 3. Claims, by rounds (a second round only for a person's second request whose first failed).
  LOOP
    -- Lock this round's slots in one global order (dose, clinic, day); read remaining under it.
    SELECT array_agg(l.id), array_agg(l.remaining) INTO v_slot_ids, v_slot_rem
      FROM (SELECT s.id, s.remaining FROM slot s
             WHERE s.id = ANY (ARRAY(SELECT slot1 FROM book_batch_req WHERE code = 'NEW'
                                     UNION SELECT slot2 FROM book_batch_req WHERE code = 'NEW'))
             ORDER BY s.dose, s.clinic_id, s.day, s.campaign_id, s.vaccine_id
             FOR NO KEY UPDATE) l;
    -- In arrival order, per dose-1 slot the first `remaining` requests pass dose 1; of those, per
    -- dose-2 slot the first `remaining` pass dose 2. The codes are what one-at-a-time processing
    -- in arrival order answers (there, a dose-2 failure gives its dose-1 unit back to the next).
    -- Then each slot drops by its claims in one UPDATE: never below 0, at most `remaining` passed.
    WITH u AS (
      UPDATE book_batch_req r
         SET code = q.code,
             reservation_id = CASE WHEN q.code = 'CLAIMED' THEN nextval('reservation_id_seq') END
        FROM (SELECT i,
                     CASE WHEN rem1 IS NULL THEN 'SLOT_FULL' -- no such slot
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
      RETURNING r.code, r.key_new, r.slot1, r.slot2),
    claims AS (
      UPDATE slot s SET remaining = s.remaining - c.n
        FROM (SELECT id, count(*)::int AS n
                FROM (SELECT slot1 AS id FROM u WHERE code = 'CLAIMED'
                      UNION ALL
                      SELECT slot2 FROM u WHERE code = 'CLAIMED' AND slot2 IS NOT NULL) x
               GROUP BY id) c
       WHERE s.id = c.id AND s.id = ANY (v_slot_ids))
    SELECT v_claimed + count(*) FILTER (WHERE code = 'CLAIMED'),
           v_keys_kept + count(*) FILTER (WHERE code = 'CLAIMED' AND key_new)
      INTO v_claimed, v_keys_kept FROM u;

    EXIT WHEN v_later = 0;
    -- A person's next request: ALREADY_BOOKED once one got its claim, else the next round.
    UPDATE book_batch_req r SET code = 'ALREADY_BOOKED'
     WHERE r.code = 'LATER'
       AND r.person_id IN (SELECT c.person_id FROM book_batch_req c WHERE c.code = 'CLAIMED' AND c.campaign_id = r.campaign_id);
    UPDATE book_batch_req r SET code = 'NEW'
      FROM (SELECT min(i) AS i FROM book_batch_req WHERE code = 'LATER' GROUP BY campaign_id, person_id) q
     WHERE r.i = q.i;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    EXIT WHEN v_n = 0;
    v_later := v_later - v_n;
  END LOOP;

  -- 4. Writes, one statement per table; reservation ids were drawn in 3, so nothing is joined back.
  INSERT INTO reservation (id, booking_number, campaign_id, person_id, clinic_id, status, booked_by, created_at, updated_at)
  OVERRIDING SYSTEM VALUE
  SELECT reservation_id, booking_number, campaign_id, person_id, clinic_id, 'confirmed', booked_by, p_now, p_now
    FROM book_batch_req WHERE code = 'CLAIMED'
   ORDER BY campaign_id, person_id -- the same order in every batch
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n < v_claimed THEN
    -- Not inserted: a booking another node committed meanwhile for the same person, or a
    -- booking-number collision (60 random bits). Their units go back.
    UPDATE book_batch_req r
       SET code = CASE WHEN (SELECT true FROM reservation b WHERE b.campaign_id = r.campaign_id
                               AND b.person_id = r.person_id AND b.status = 'confirmed')
                       THEN 'ALREADY_BOOKED' ELSE 'BOOKING_NUMBER_TAKEN' END
     WHERE r.code = 'CLAIMED' AND (SELECT true FROM reservation b WHERE b.id = r.reservation_id) IS NULL;
    UPDATE slot s SET remaining = s.remaining + c.n
      FROM (SELECT id, count(*)::int AS n
              FROM (SELECT slot1 AS id FROM book_batch_req WHERE code <> 'CLAIMED' AND reservation_id IS NOT NULL
                    UNION ALL
                    SELECT slot2 FROM book_batch_req WHERE code <> 'CLAIMED' AND reservation_id IS NOT NULL AND slot2 IS NOT NULL) u
             GROUP BY id) c
     WHERE s.id = c.id;
    v_keys_kept := -1; -- recount below
  END IF;

  INSERT INTO reservation_dose (reservation_id, dose, slot_id, clinic_id, day, vaccine_id)
  SELECT reservation_id, 1, slot1, clinic_id, day1, vaccine FROM book_batch_req WHERE code = 'CLAIMED'
  UNION ALL
  SELECT reservation_id, 2, slot2, clinic_id, day2, vaccine FROM book_batch_req WHERE code = 'CLAIMED' AND day2 IS NOT NULL;
  INSERT INTO audit_log (at, actor, action, reservation_id, person_id, detail)
  SELECT p_now, actor, 'reservation.created', reservation_id, person_id, answer
    FROM book_batch_req WHERE code = 'CLAIMED' ORDER BY i;
  INSERT INTO outbox (created_at, topic, payload)
  SELECT p_now, 'reservation.confirmed', jsonb_build_object('personId', person_id, 'reservation', answer)
    FROM book_batch_req WHERE code = 'CLAIMED' ORDER BY i;

  -- Keys of requests that failed go: found by tuple id, which needs no plan on the table's size.
  IF v_keys_kept < v_keys THEN
    DELETE FROM idempotency_key k USING book_batch_req r
     WHERE k.ctid = ANY (v_key_tids) AND r.key_new AND r.code <> 'CLAIMED'
       AND k.person_id = r.person_id AND k.key = r.idem_key;
  END IF;
  -- Repeats of a key within the batch: the first request's answer (its success as REPLAY, as a
  -- retry after it would get; another body → IDEMPOTENCY_MISMATCH).
  IF v_repeats > 0 THEN
    UPDATE book_batch_req r
       SET code = CASE WHEN r.idem_hash IS DISTINCT FROM o.idem_hash THEN 'IDEMPOTENCY_MISMATCH'
                       WHEN o.code = 'CLAIMED' THEN 'REPLAY' ELSE o.code END,
           prior = CASE WHEN o.code = 'CLAIMED' THEN o.answer END
      FROM book_batch_req o
     WHERE r.code IS NULL AND r.owner = o.i;
  END IF;

  RETURN QUERY
  SELECT r.i,
         CASE WHEN r.code = 'CLAIMED' THEN 'OK' ELSE r.code END,
         CASE WHEN r.code = 'CLAIMED' THEN r.answer WHEN r.code IN ('REPLAY', 'IDEMPOTENCY_MISMATCH') THEN r.prior END
    FROM book_batch_req r ORDER BY r.i;
END $$;

-- change_reservation: release the old slots and claim the new ones in one transaction. Releasing
-- first lets a change keep one of its slots (e.g. same dose-2 day). Any failure rolls all back.
CREATE FUNCTION change_reservation(
  p_booking_number text, p_person_id bigint, p_clinic_id text, p_day1 date, p_day2 date,
  p_today date, p_freeze_days int, p_actor text, p_now timestamptz)
RETURNS TABLE (o_code text, o_response jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_res record;
  v_old_day1 date;
  v_vaccine text;
  v_slot1 bigint;
  v_slot2 bigint;
  v_response jsonb;
BEGIN
  SELECT * INTO v_res FROM reservation
  WHERE booking_number = p_booking_number AND person_id = p_person_id FOR UPDATE;
  IF NOT FOUND THEN o_code := 'NOT_FOUND'; RETURN NEXT; RETURN; END IF;
  IF v_res.status <> 'confirmed' THEN o_code := 'CANCELLED'; RETURN NEXT; RETURN; END IF;

  SELECT day INTO v_old_day1 FROM reservation_dose WHERE reservation_id = v_res.id AND dose = 1;
  IF v_old_day1 - p_today < p_freeze_days OR p_day1 - p_today < p_freeze_days THEN
    o_code := 'CHANGE_TOO_LATE'; RETURN NEXT; RETURN;
  END IF;

  UPDATE slot s SET remaining = s.remaining + 1
  FROM reservation_dose d WHERE d.reservation_id = v_res.id AND s.id = d.slot_id;

  UPDATE slot SET remaining = remaining - 1
  WHERE campaign_id = v_res.campaign_id AND clinic_id = p_clinic_id AND day = p_day1 AND dose = 1 AND remaining > 0
  RETURNING id, vaccine_id INTO v_slot1, v_vaccine;
  IF NOT FOUND THEN RAISE EXCEPTION 'SLOT_FULL' USING ERRCODE = 'YK001'; END IF;
  IF p_day2 IS NOT NULL THEN
    UPDATE slot SET remaining = remaining - 1
    WHERE campaign_id = v_res.campaign_id AND clinic_id = p_clinic_id AND day = p_day2 AND dose = 2
      AND vaccine_id = v_vaccine AND remaining > 0
    RETURNING id INTO v_slot2;
    IF NOT FOUND THEN RAISE EXCEPTION 'DOSE2_FULL' USING ERRCODE = 'YK001'; END IF;
  END IF;

  UPDATE reservation_dose SET slot_id = v_slot1, clinic_id = p_clinic_id, day = p_day1, vaccine_id = v_vaccine
  WHERE reservation_id = v_res.id AND dose = 1;
  UPDATE reservation_dose SET slot_id = v_slot2, clinic_id = p_clinic_id, day = p_day2, vaccine_id = v_vaccine
  WHERE reservation_id = v_res.id AND dose = 2;
  UPDATE reservation SET clinic_id = p_clinic_id, updated_at = p_now WHERE id = v_res.id;

  v_response := jsonb_build_object(
    'bookingNumber', v_res.booking_number, 'campaignId', v_res.campaign_id, 'status', 'confirmed',
    'vaccine', v_vaccine,
    'doses', (SELECT jsonb_agg(jsonb_build_object('dose', dose, 'date', day, 'clinicId', clinic_id) ORDER BY dose)
              FROM reservation_dose WHERE reservation_id = v_res.id));
  INSERT INTO audit_log (at, actor, action, reservation_id, person_id, detail)
  VALUES (p_now, p_actor, 'reservation.changed', v_res.id, p_person_id,
          jsonb_build_object('fromDay1', v_old_day1, 'to', v_response));
  INSERT INTO outbox (created_at, topic, payload)
  VALUES (p_now, 'reservation.changed', jsonb_build_object('personId', p_person_id, 'reservation', v_response));
  o_code := 'OK'; o_response := v_response; RETURN NEXT;
EXCEPTION
  WHEN SQLSTATE 'YK001' THEN
    o_code := SQLERRM; o_response := NULL; RETURN NEXT;
END $$;

-- cancel_reservation: one conditional UPDATE decides; capacity returns in the same transaction.
CREATE FUNCTION cancel_reservation(
  p_booking_number text, p_person_id bigint, p_today date, p_until_days int, p_actor text, p_now timestamptz)
RETURNS TABLE (o_code text, o_response jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_res record;
  v_day1 date;
BEGIN
  SELECT * INTO v_res FROM reservation
  WHERE booking_number = p_booking_number AND person_id = p_person_id FOR UPDATE;
  IF NOT FOUND THEN o_code := 'NOT_FOUND'; RETURN NEXT; RETURN; END IF;
  IF v_res.status <> 'confirmed' THEN o_code := 'CANCELLED'; RETURN NEXT; RETURN; END IF;
  SELECT day INTO v_day1 FROM reservation_dose WHERE reservation_id = v_res.id AND dose = 1;
  IF v_day1 - p_today < p_until_days THEN o_code := 'CANCEL_TOO_LATE'; RETURN NEXT; RETURN; END IF;

  UPDATE reservation SET status = 'cancelled', cancelled_at = p_now, updated_at = p_now WHERE id = v_res.id;
  UPDATE slot s SET remaining = s.remaining + 1
  FROM reservation_dose d WHERE d.reservation_id = v_res.id AND s.id = d.slot_id;
  INSERT INTO audit_log (at, actor, action, reservation_id, person_id, detail)
  VALUES (p_now, p_actor, 'reservation.cancelled', v_res.id, p_person_id, jsonb_build_object('bookingNumber', p_booking_number));
  INSERT INTO outbox (created_at, topic, payload)
  VALUES (p_now, 'reservation.cancelled', jsonb_build_object('personId', p_person_id, 'bookingNumber', p_booking_number));
  o_code := 'OK';
  o_response := jsonb_build_object('bookingNumber', p_booking_number, 'status', 'cancelled');
  RETURN NEXT;
END $$;
