-- Leftover doses for citizens (issue #11): favourite clinics and their release alert, the public
-- list's index, and the same-day first-come take (take_leftover) that replaces a regular booking.
-- The release itself (leftover_release, dose_outcome) is migrations/012_clinic_portal.sql.

-- 1. Favourite clinics: up to 5 per person, in the order they were starred. One row per person
--    holding the ids as an array, so the cap is one conditional upsert — INSERT … ON CONFLICT
--    (person_id) DO UPDATE … WHERE cardinality(clinic_ids) < 5 — judged on the row's latest
--    version under its lock: two concurrent adds of one person cannot both see "4" (a count of
--    rows followed by an insert can). The CHECK backs it. No FK from an array: the add statement
--    inserts only an existing clinic's id (src/leftovers/sql.ts). The GIN index answers "who
--    favourited this clinic" for the release alert.
CREATE TABLE favourite_clinic_set (
  person_id  bigint PRIMARY KEY REFERENCES person (id),
  clinic_ids text[] NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT favourite_clinics_at_most_5 CHECK (cardinality(clinic_ids) <= 5)
);
CREATE INDEX favourite_clinic_set_clinics ON favourite_clinic_set USING gin (clinic_ids);

-- 2. The alert: a release tells everyone who favourited the clinic, in the release's own
--    transaction (a trigger, so the staff capability knows nothing of favourites). One row per
--    person per release (dedupe_key, outbox_dedupe of 016). People barred from leftovers in that
--    campaign (a no-show) are not told of doses they could not take.
CREATE FUNCTION leftover_release_alert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outbox (created_at, topic, payload, dedupe_key)
  SELECT NEW.released_at, 'leftover.released',
         jsonb_build_object('personId', f.person_id, 'campaignId', NEW.campaign_id, 'clinicId', NEW.clinic_id,
                            'releaseId', NEW.id, 'vaccineId', NEW.vaccine_id,
                            'until', to_char(NEW.until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
         'leftover_released:' || NEW.id || ':' || f.person_id
    FROM favourite_clinic_set f
   WHERE f.clinic_ids @> ARRAY[NEW.clinic_id]
     AND NOT EXISTS (SELECT 1 FROM dose_outcome o
                      WHERE o.campaign_id = NEW.campaign_id AND o.person_id = f.person_id AND o.outcome = 'no_show')
   ORDER BY f.person_id
  ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER leftover_release_alert AFTER INSERT ON leftover_release
  FOR EACH ROW EXECUTE FUNCTION leftover_release_alert();

-- 3. The public list: today's releases not withdrawn, nationally a few thousand at most; the
--    clinic (and its region) is joined by primary key.
CREATE INDEX leftover_release_today ON leftover_release (day, clinic_id) WHERE withdrawn_at IS NULL;

-- 4. A leftover dose 1 is not drawn from a slot: its reservation_dose row names the release
--    instead (exactly one of slot_id, leftover_release_id). Dose 2 always claims a slot.
ALTER TABLE reservation_dose
  ALTER COLUMN slot_id DROP NOT NULL,
  ADD COLUMN leftover_release_id bigint REFERENCES leftover_release (id),
  ADD CONSTRAINT reservation_dose_slot_or_leftover CHECK ((slot_id IS NULL) = (leftover_release_id IS NOT NULL)),
  ADD CONSTRAINT reservation_dose_leftover_is_dose1 CHECK (leftover_release_id IS NULL OR dose = 1);
-- Who took a release (a clinic's list of the day, the audit); also serves the FK's checks.
CREATE INDEX reservation_dose_leftover ON reservation_dose (leftover_release_id) WHERE leftover_release_id IS NOT NULL;

-- One leftover per person per day (the primary key), whichever release or campaign.
CREATE TABLE leftover_take (
  person_id      bigint NOT NULL REFERENCES person (id),
  day            date NOT NULL,
  release_id     bigint NOT NULL REFERENCES leftover_release (id),
  booking_number text NOT NULL,
  taken_at       timestamptz NOT NULL,
  PRIMARY KEY (person_id, day)
);
CREATE INDEX leftover_take_release ON leftover_take (release_id);

-- 5. take_leftover: the whole take in one call, one transaction. The order of the rules (the
--    first that fails answers; every refusal leaves the store as it was — the block below is a
--    subtransaction, and a refusal raises into its handler, which undoes the attempt's writes):
--    REPLAY / IDEMPOTENCY_MISMATCH (an unexpired key of the caller; else the key is stored, so a
--    concurrent duplicate waits on it), NOT_FOUND, NOT_ELIGIBLE (p_eligible: the cohort rules,
--    decided in TypeScript without the rotation window), BARRED (a no-show in the campaign),
--    ALREADY_TODAY (leftover_take's key; a concurrent take of the same person waits on it),
--    GONE (the conditional UPDATE taken = taken + 1 WHERE open — exactly K winners; losers wait
--    only for the row lock and touch nothing else), DOSE1_GIVEN (their regular dose 1 is before
--    today or recorded administered), DOSE2_FULL (no dose-2 slot with room on p_day2 at the
--    clinic for the vaccine: the whole take is refused, the regular booking kept).
--    A winner's regular confirmed booking of the campaign is cancelled first (its slots' units
--    back, audit, 'reservation.cancelled'), then the new reservation and doses are inserted, so
--    reservation_one_per_person holds. Slots are locked in book_batch's global order (dose,
--    clinic, day) before any is written, so a take cannot deadlock a booking batch.
CREATE FUNCTION take_leftover(
  p_release_id bigint, p_person_id bigint, p_eligible boolean, p_today date, p_day2 date,
  p_booking_number text, p_caller text, p_key text, p_request_hash text, p_key_ttl_ms bigint, p_now timestamptz)
RETURNS TABLE (o_code text, o_response jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_key record;
  v_rel record;
  v_old record;
  v_slot2 bigint;
  v_res_id bigint;
  v_body jsonb;
  v_constraint text;
BEGIN
  -- Idempotency: a live key answers (as the reservation is now); an expired one is taken over.
  SELECT k.request_hash, k.response INTO v_key FROM idempotency_key k
   WHERE k.caller = p_caller AND k.key = p_key AND k.expires_at > p_now;
  IF FOUND THEN
    RETURN QUERY SELECT * FROM take_leftover_replay(v_key.request_hash, v_key.response, p_request_hash);
    RETURN;
  END IF;

  BEGIN
    INSERT INTO idempotency_key AS k (person_id, caller, key, request_hash, response, created_at, expires_at)
    VALUES (p_person_id, p_caller, p_key, p_request_hash, NULL, p_now, p_now + p_key_ttl_ms * interval '1 millisecond')
    ON CONFLICT (caller, key) DO UPDATE
       SET person_id = excluded.person_id, request_hash = excluded.request_hash, response = NULL,
           created_at = excluded.created_at, expires_at = excluded.expires_at
     WHERE k.expires_at <= p_now;
    IF NOT FOUND THEN
      -- Stored by a concurrent request with this key that has committed since: its outcome answers.
      SELECT k.request_hash, k.response INTO v_key FROM idempotency_key k WHERE k.caller = p_caller AND k.key = p_key;
      RETURN QUERY SELECT * FROM take_leftover_replay(v_key.request_hash, v_key.response, p_request_hash);
      RETURN;
    END IF;

    SELECT id, clinic_id, campaign_id, vaccine_id INTO v_rel FROM leftover_release WHERE id = p_release_id;
    IF NOT FOUND THEN RAISE EXCEPTION 'NOT_FOUND' USING ERRCODE = 'YL001'; END IF;
    IF NOT p_eligible THEN RAISE EXCEPTION 'NOT_ELIGIBLE' USING ERRCODE = 'YL001'; END IF;
    IF EXISTS (SELECT 1 FROM dose_outcome o WHERE o.campaign_id = v_rel.campaign_id AND o.person_id = p_person_id AND o.outcome = 'no_show') THEN
      RAISE EXCEPTION 'BARRED' USING ERRCODE = 'YL001';
    END IF;
    INSERT INTO leftover_take (person_id, day, release_id, booking_number, taken_at)
    VALUES (p_person_id, p_today, p_release_id, p_booking_number, p_now)
    ON CONFLICT (person_id, day) DO NOTHING;
    IF NOT FOUND THEN RAISE EXCEPTION 'ALREADY_TODAY' USING ERRCODE = 'YL001'; END IF;

    -- The claim: one conditional statement, judged under the row lock on the latest version.
    UPDATE leftover_release SET taken = taken + 1
     WHERE id = p_release_id AND day = p_today AND withdrawn_at IS NULL AND until > p_now AND taken < doses;
    IF NOT FOUND THEN RAISE EXCEPTION 'GONE' USING ERRCODE = 'YL001'; END IF;

    SELECT r.id, r.booking_number, d1.day AS day1,
           EXISTS (SELECT 1 FROM dose_outcome o WHERE o.reservation_id = r.id AND o.dose = 1 AND o.outcome = 'administered') AS given
      INTO v_old
      FROM reservation r JOIN reservation_dose d1 ON d1.reservation_id = r.id AND d1.dose = 1
     WHERE r.campaign_id = v_rel.campaign_id AND r.person_id = p_person_id AND r.status = 'confirmed'
       FOR UPDATE OF r;
    IF FOUND AND (v_old.day1 < p_today OR v_old.given) THEN RAISE EXCEPTION 'DOSE1_GIVEN' USING ERRCODE = 'YL001'; END IF;

    -- Every slot written below, locked in the global order first.
    PERFORM 1 FROM slot s
      WHERE s.id IN (SELECT d.slot_id FROM reservation_dose d WHERE d.reservation_id = v_old.id)
         OR (p_day2 IS NOT NULL AND s.campaign_id = v_rel.campaign_id AND s.clinic_id = v_rel.clinic_id
             AND s.day = p_day2 AND s.dose = 2 AND s.vaccine_id = v_rel.vaccine_id)
      ORDER BY s.dose, s.clinic_id, s.day, s.vaccine_id
      FOR UPDATE;

    IF v_old.id IS NOT NULL THEN
      UPDATE reservation SET status = 'cancelled', cancelled_at = p_now, updated_at = p_now WHERE id = v_old.id;
      UPDATE slot s SET remaining = s.remaining + 1
        FROM reservation_dose d WHERE d.reservation_id = v_old.id AND s.id = d.slot_id;
      INSERT INTO audit_log (at, actor, action, reservation_id, person_id, detail)
      VALUES (p_now, p_caller, 'reservation.cancelled', v_old.id, p_person_id,
              jsonb_build_object('bookingNumber', v_old.booking_number, 'replacedByLeftover', p_booking_number));
      INSERT INTO outbox (created_at, topic, payload)
      VALUES (p_now, 'reservation.cancelled', jsonb_build_object('personId', p_person_id, 'bookingNumber', v_old.booking_number));
    END IF;

    IF p_day2 IS NOT NULL THEN
      UPDATE slot s SET remaining = s.remaining - 1
       WHERE s.campaign_id = v_rel.campaign_id AND s.clinic_id = v_rel.clinic_id AND s.day = p_day2
         AND s.dose = 2 AND s.vaccine_id = v_rel.vaccine_id AND s.remaining > 0
      RETURNING s.id INTO v_slot2;
      IF v_slot2 IS NULL THEN RAISE EXCEPTION 'DOSE2_FULL' USING ERRCODE = 'YL001'; END IF;
    END IF;

    INSERT INTO reservation (booking_number, campaign_id, person_id, clinic_id, status, booked_by, created_at, updated_at)
    VALUES (p_booking_number, v_rel.campaign_id, p_person_id, v_rel.clinic_id, 'confirmed', 'self', p_now, p_now)
    RETURNING id INTO v_res_id;
    INSERT INTO reservation_dose (reservation_id, dose, slot_id, leftover_release_id, clinic_id, day, vaccine_id)
    VALUES (v_res_id, 1, NULL, p_release_id, v_rel.clinic_id, p_today, v_rel.vaccine_id);
    IF p_day2 IS NOT NULL THEN
      INSERT INTO reservation_dose (reservation_id, dose, slot_id, clinic_id, day, vaccine_id)
      VALUES (v_res_id, 2, v_slot2, v_rel.clinic_id, p_day2, v_rel.vaccine_id);
    END IF;

    v_body := reservation_body(v_res_id) || jsonb_build_object('releaseId', p_release_id, 'replacedBookingNumber', v_old.booking_number);
    UPDATE idempotency_key SET response = v_body WHERE caller = p_caller AND key = p_key;
    INSERT INTO audit_log (at, actor, action, reservation_id, person_id, detail)
    VALUES (p_now, p_caller, 'leftover.booked', v_res_id, p_person_id, v_body);
    INSERT INTO outbox (created_at, topic, payload, dedupe_key)
    VALUES (p_now, 'leftover.booked',
            jsonb_build_object('personId', p_person_id, 'campaignId', v_rel.campaign_id, 'clinicId', v_rel.clinic_id,
                               'bookingNumber', p_booking_number, 'day', p_today, 'replacedBookingNumber', v_old.booking_number),
            'leftover_booked:' || p_booking_number);
    o_code := 'OK';
    o_response := v_body;
    RETURN NEXT;
  EXCEPTION
    WHEN SQLSTATE 'YL001' THEN
      o_code := SQLERRM;
      o_response := NULL;
      RETURN NEXT;
    WHEN unique_violation THEN
      -- A booking number already in use (59 random bits: the caller draws another); a regular
      -- booking another transaction committed for this person meanwhile: retried whole.
      GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
      IF v_constraint = 'reservation_booking_number_key' THEN
        o_code := 'BOOKING_NUMBER_TAKEN'; o_response := NULL; RETURN NEXT;
      ELSE
        RAISE EXCEPTION 'take_leftover: concurrent booking' USING ERRCODE = 'serialization_failure';
      END IF;
  END;
END $$;

-- A stored key's answer: the same request → the reservation as it is now (cancelled since → the
-- booking number only); another request → IDEMPOTENCY_MISMATCH; a key whose attempt is still
-- running cannot be seen here (its row is uncommitted, the insert above waits on it).
CREATE FUNCTION take_leftover_replay(p_stored_hash text, p_stored jsonb, p_request_hash text)
RETURNS TABLE (o_code text, o_response jsonb)
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_stored_hash <> p_request_hash THEN 'IDEMPOTENCY_MISMATCH'
              WHEN b.status = 'confirmed' THEN 'REPLAY'
              ELSE 'REPLAY_CANCELLED' END,
         CASE WHEN p_stored_hash <> p_request_hash THEN NULL
              ELSE coalesce(reservation_body(b.id) || (p_stored - 'status' - 'doses' - 'vaccine' - 'bookingNumber' - 'campaignId'), p_stored) END
    FROM (SELECT 1) one
    LEFT JOIN reservation b ON b.booking_number = p_stored->>'bookingNumber'
$$;
