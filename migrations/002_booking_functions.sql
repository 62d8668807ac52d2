-- Booking statements. Each runs server-side in one round trip. A claim never takes more than the
-- slot holds: either one conditional UPDATE (remaining > 0), or the slot's row lock first and then
-- at most the remaining read under it; the slot_remaining_in_range CHECK backs both. One booking
-- per person is the reservation_one_per_person unique index. Nothing is read and then written
-- from application code.

-- book_batch, the batched booking statement, is defined with the proxy tables in
-- 006_proxies_staff.sql (one definition, with the benchmark that chose its design).

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
