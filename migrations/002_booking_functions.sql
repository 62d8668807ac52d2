-- Booking statements. Each runs server-side in one round trip; every claim is a conditional
-- UPDATE (remaining > 0) backed by the slot_remaining_in_range CHECK, and one-per-person is the
-- reservation_one_per_person unique index. Nothing is read and then written from application code.

-- book_batch: many bookings in ONE transaction (one commit, one WAL flush). Each request runs in
-- its own subtransaction (BEGIN … EXCEPTION), so a full slot or a duplicate person fails only that
-- request. Why batch: at opening thousands of people hit the same clinic-day; one commit per
-- booking serialises them on the slot's row lock for a WAL flush each. `npm run bench:booking`
-- (64 clients, one clinic-day) measured the batch against that bare per-row UPDATE loop — see
-- docs/ARCHITECTURE.md for the figures.
-- Callers sort requests by (clinic, day) so concurrent batches take row locks in the same order.
CREATE FUNCTION book_batch(p_requests jsonb, p_now timestamptz)
RETURNS TABLE (o_i int, o_code text, o_response jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  v_slot1 bigint;
  v_slot2 bigint;
  v_vaccine text;
  v_reservation bigint;
  v_prev record;
  v_response jsonb;
BEGIN
  FOR r IN
    SELECT * FROM jsonb_to_recordset(p_requests) AS x (
      i int, person_id bigint, campaign_id text, clinic_id text, day1 date, day2 date,
      booking_number text, idem_key text, idem_hash text, actor text, booked_by text)
  LOOP
    o_i := r.i;
    BEGIN
      IF r.idem_key IS NOT NULL THEN
        -- Waits on a concurrent insert of the same key, then sees its outcome.
        INSERT INTO idempotency_key (person_id, key, request_hash, created_at)
        VALUES (r.person_id, r.idem_key, r.idem_hash, p_now)
        ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
          SELECT request_hash, response INTO v_prev
          FROM idempotency_key WHERE person_id = r.person_id AND key = r.idem_key;
          o_code := CASE WHEN v_prev.request_hash = r.idem_hash THEN 'REPLAY' ELSE 'IDEMPOTENCY_MISMATCH' END;
          o_response := v_prev.response;
          RETURN NEXT;
          CONTINUE;
        END IF;
      END IF;

      UPDATE slot SET remaining = remaining - 1
      WHERE campaign_id = r.campaign_id AND clinic_id = r.clinic_id AND day = r.day1 AND dose = 1
        AND remaining > 0
      RETURNING id, vaccine_id INTO v_slot1, v_vaccine;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'SLOT_FULL' USING ERRCODE = 'YK001';
      END IF;

      IF r.day2 IS NOT NULL THEN
        UPDATE slot SET remaining = remaining - 1
        WHERE campaign_id = r.campaign_id AND clinic_id = r.clinic_id AND day = r.day2 AND dose = 2
          AND vaccine_id = v_vaccine AND remaining > 0
        RETURNING id INTO v_slot2;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'DOSE2_FULL' USING ERRCODE = 'YK001';
        END IF;
      END IF;

      INSERT INTO reservation (booking_number, campaign_id, person_id, clinic_id, status, booked_by, created_at, updated_at)
      VALUES (r.booking_number, r.campaign_id, r.person_id, r.clinic_id, 'confirmed', coalesce(r.booked_by, 'self'), p_now, p_now)
      RETURNING id INTO v_reservation;

      INSERT INTO reservation_dose (reservation_id, dose, slot_id, clinic_id, day, vaccine_id)
      VALUES (v_reservation, 1, v_slot1, r.clinic_id, r.day1, v_vaccine);
      IF r.day2 IS NOT NULL THEN
        INSERT INTO reservation_dose (reservation_id, dose, slot_id, clinic_id, day, vaccine_id)
        VALUES (v_reservation, 2, v_slot2, r.clinic_id, r.day2, v_vaccine);
      END IF;

      v_response := jsonb_build_object(
        'bookingNumber', r.booking_number,
        'campaignId', r.campaign_id,
        'status', 'confirmed',
        'vaccine', v_vaccine,
        'doses', CASE WHEN r.day2 IS NULL
          THEN jsonb_build_array(jsonb_build_object('dose', 1, 'date', r.day1, 'clinicId', r.clinic_id))
          ELSE jsonb_build_array(
            jsonb_build_object('dose', 1, 'date', r.day1, 'clinicId', r.clinic_id),
            jsonb_build_object('dose', 2, 'date', r.day2, 'clinicId', r.clinic_id)) END);

      IF r.idem_key IS NOT NULL THEN
        UPDATE idempotency_key SET response = v_response WHERE person_id = r.person_id AND key = r.idem_key;
      END IF;
      INSERT INTO audit_log (at, actor, action, reservation_id, person_id, detail)
      VALUES (p_now, r.actor, 'reservation.created', v_reservation, r.person_id, v_response);
      INSERT INTO outbox (created_at, topic, payload)
      VALUES (p_now, 'reservation.confirmed', jsonb_build_object('personId', r.person_id, 'reservation', v_response));

      o_code := 'OK';
      o_response := v_response;
      RETURN NEXT;
    EXCEPTION
      WHEN SQLSTATE 'YK001' THEN
        -- Someone who already holds a booking is told so, not "full": only the message is chosen
        -- here; the unique index is what enforces one booking per person.
        o_code := CASE WHEN EXISTS (SELECT 1 FROM reservation WHERE campaign_id = r.campaign_id
                                      AND person_id = r.person_id AND status = 'confirmed')
                       THEN 'ALREADY_BOOKED' ELSE SQLERRM END;
        o_response := NULL; RETURN NEXT;
      WHEN foreign_key_violation THEN
        -- A validly signed session for a person this store does not know (store reset under a
        -- live cookie): refuse that booking alone, never the whole batch.
        o_code := 'PERSON_UNKNOWN'; o_response := NULL; RETURN NEXT;
      WHEN unique_violation THEN
        -- reservation_one_per_person; a booking-number collision (60 random bits) would surface here too.
        o_code := CASE WHEN SQLERRM LIKE '%booking_number%' THEN 'BOOKING_NUMBER_TAKEN' ELSE 'ALREADY_BOOKED' END;
        o_response := NULL; RETURN NEXT;
    END;
  END LOOP;
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
