-- Confirmed supply set by operators (issue #11): a week's delivery of a vaccine at a clinic may be
-- raised or cut. A cut takes the week's unbooked capacity first; booked doses it cannot cover stay
-- booked and are counted in `uncovered` (and listed to the operator by set_supply):
--
--   doses     what the week's slots may hold: the confirmed delivery + uncovered
--   uncovered booked doses beyond the confirmed delivery (doses − uncovered = what was confirmed)
--
-- so `allocated <= doses` (001) still holds, and nothing booked is silently dropped. A dose given
-- back in such a week (a cancellation, a change away) pays the shortfall first: the slot's capacity
-- shrinks with it instead of offering it again (trigger slot_absorb_uncovered, below).
ALTER TABLE supply
  ADD COLUMN uncovered int NOT NULL DEFAULT 0,
  ADD CONSTRAINT supply_uncovered_in_range CHECK (uncovered >= 0 AND uncovered <= doses);

-- set_supply(campaign, rows, pairs, from_day, listed_max): sets each row's confirmed doses
-- (rows: [{clinicId, vaccineId, weekStart, doses}], weekStart a Monday, one row per key), in the
-- caller's transaction. Where a row's new doses are below its allocation, the capacity is cut,
-- set-based, in two phases, each one statement over all rows:
--   1. the week's dose-1 slots lose remaining (and capacity by as much, so capacity − remaining =
--      booked): days before from_day first (no longer bookable), then the latest day first; each
--      dose-1 day's dose-2 slot (pairs: [{day1, day2}], the campaign's dose-2 day of each dose-1
--      day) loses as much — a dose 1 nobody can book needs no dose 2;
--   2. what is still over: the week's dose-2 slots lose remaining the same way, and the dose-1 days
--      feeding them lose what their dose 2 no longer backs (Σ feeders' remaining ≤ dose-2 remaining).
-- Each phase gives the slots' supply rows their allocation back. Then doses = max(new, allocated),
-- uncovered = allocated − new when positive. Locks: the campaign's capacity-import lock is the
-- caller's; here every slot of the rows' clinic × vaccine pairs in booking's global order (dose,
-- clinic, day), then their supply rows by id — the order the capacity import and the clinic's
-- capacity change use.
-- Answers {rows: [{supplyId, clinicId, vaccineId, weekStart, requested, doses, allocated, booked,
-- uncovered, cut}], uncoveredTotal, uncovered: [{bookingNumber, dose, day, clinicId, vaccineId,
-- weekStart}]} — the uncovered doses listed are each week's latest bookings (the earliest booked
-- keep theirs), at most listed_max.
CREATE FUNCTION set_supply(p_campaign text, p_rows jsonb, p_pairs jsonb, p_from date, p_listed_max int) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_before jsonb;
  v_rows jsonb;
  v_uncovered jsonb;
  v_total int;
BEGIN
  PERFORM 1 FROM slot s
   WHERE s.campaign_id = p_campaign
     AND (s.clinic_id, s.vaccine_id) IN (SELECT r.clinic_id, r.vaccine_id FROM jsonb_to_recordset(p_rows) AS r(clinic_id text, vaccine_id text))
   ORDER BY s.dose, s.clinic_id, s.day, s.vaccine_id
     FOR NO KEY UPDATE OF s;
  INSERT INTO supply (campaign_id, clinic_id, vaccine_id, week_start, doses)
  SELECT p_campaign, r.clinic_id, r.vaccine_id, r.week_start, r.doses
    FROM jsonb_to_recordset(p_rows) AS r(clinic_id text, vaccine_id text, week_start date, doses int)
   ORDER BY r.clinic_id, r.vaccine_id, r.week_start
  ON CONFLICT (campaign_id, clinic_id, vaccine_id, week_start) DO NOTHING;
  PERFORM 1 FROM supply p
   WHERE p.campaign_id = p_campaign
     AND (p.clinic_id, p.vaccine_id) IN (SELECT r.clinic_id, r.vaccine_id FROM jsonb_to_recordset(p_rows) AS r(clinic_id text, vaccine_id text))
   ORDER BY p.id
     FOR UPDATE;
  SELECT jsonb_object_agg(p.id::text, p.allocated) INTO v_before
    FROM supply p JOIN jsonb_to_recordset(p_rows) AS r(clinic_id text, vaccine_id text, week_start date)
      ON p.campaign_id = p_campaign AND p.clinic_id = r.clinic_id AND p.vaccine_id = r.vaccine_id AND p.week_start = r.week_start;

  -- Phase 1: the cut weeks' dose-1 slots, and their dose-2 days by as much.
  WITH need AS (
    SELECT p.id AS supply_id, p.allocated - r.doses AS need
      FROM supply p JOIN jsonb_to_recordset(p_rows) AS r(clinic_id text, vaccine_id text, week_start date, doses int)
        ON p.campaign_id = p_campaign AND p.clinic_id = r.clinic_id AND p.vaccine_id = r.vaccine_id AND p.week_start = r.week_start
     WHERE p.allocated > r.doses),
  ranked AS (
    SELECT s.id, s.clinic_id, s.vaccine_id, s.day, s.remaining, n.need,
           sum(s.remaining) OVER (PARTITION BY s.supply_id ORDER BY s.day < p_from DESC, s.day DESC, s.id ROWS UNBOUNDED PRECEDING) AS upto
      FROM slot s JOIN need n ON n.supply_id = s.supply_id
     WHERE s.dose = 1 AND s.remaining > 0),
  cut1 AS (
    SELECT id, clinic_id, vaccine_id, day, LEAST(remaining, GREATEST(0, need - (upto - remaining))) AS cut FROM ranked),
  cut2 AS (
    SELECT s2.id, LEAST(s2.remaining, sum(c.cut)) AS cut
      FROM cut1 c
      JOIN jsonb_to_recordset(p_pairs) AS pr(day1 date, day2 date) ON pr.day1 = c.day
      JOIN slot s2 ON s2.campaign_id = p_campaign AND s2.dose = 2 AND s2.clinic_id = c.clinic_id AND s2.vaccine_id = c.vaccine_id AND s2.day = pr.day2
     WHERE c.cut > 0
     GROUP BY s2.id, s2.remaining),
  cuts AS (SELECT id, cut FROM cut1 WHERE cut > 0 UNION ALL SELECT id, cut FROM cut2 WHERE cut > 0),
  cut_slots AS (
    UPDATE slot s SET capacity = s.capacity - c.cut, remaining = s.remaining - c.cut
      FROM cuts c WHERE s.id = c.id
    RETURNING s.supply_id, c.cut)
  UPDATE supply p SET allocated = p.allocated - t.total
    FROM (SELECT supply_id, sum(cut)::int AS total FROM cut_slots GROUP BY supply_id) t
   WHERE p.id = t.supply_id;

  -- Phase 2: still over — the cut weeks' dose-2 slots, and the dose-1 days feeding them.
  WITH need AS (
    SELECT p.id AS supply_id, p.allocated - r.doses AS need
      FROM supply p JOIN jsonb_to_recordset(p_rows) AS r(clinic_id text, vaccine_id text, week_start date, doses int)
        ON p.campaign_id = p_campaign AND p.clinic_id = r.clinic_id AND p.vaccine_id = r.vaccine_id AND p.week_start = r.week_start
     WHERE p.allocated > r.doses),
  ranked AS (
    SELECT s.id, s.clinic_id, s.vaccine_id, s.day, s.remaining, n.need,
           sum(s.remaining) OVER (PARTITION BY s.supply_id ORDER BY s.day < p_from DESC, s.day DESC, s.id ROWS UNBOUNDED PRECEDING) AS upto
      FROM slot s JOIN need n ON n.supply_id = s.supply_id
     WHERE s.dose = 2 AND s.remaining > 0),
  cut2 AS (
    SELECT id, clinic_id, vaccine_id, day, remaining, LEAST(remaining, GREATEST(0, need - (upto - remaining))) AS cut FROM ranked),
  feeders AS (
    SELECT s1.id, s1.remaining, c.id AS dose2_id,
           sum(s1.remaining) OVER (PARTITION BY c.id) AS feeding,
           sum(s1.remaining) OVER (PARTITION BY c.id ORDER BY s1.day < p_from DESC, s1.day DESC, s1.id ROWS UNBOUNDED PRECEDING) AS upto,
           c.remaining - c.cut AS dose2_left
      FROM cut2 c
      JOIN jsonb_to_recordset(p_pairs) AS pr(day1 date, day2 date) ON pr.day2 = c.day
      JOIN slot s1 ON s1.campaign_id = p_campaign AND s1.dose = 1 AND s1.clinic_id = c.clinic_id AND s1.vaccine_id = c.vaccine_id AND s1.day = pr.day1
     WHERE c.cut > 0 AND s1.remaining > 0),
  cut1 AS (
    SELECT id, LEAST(remaining, GREATEST(0, GREATEST(0, feeding - dose2_left) - (upto - remaining))) AS cut FROM feeders),
  cuts AS (SELECT id, cut FROM cut2 WHERE cut > 0 UNION ALL SELECT id, cut FROM cut1 WHERE cut > 0),
  cut_slots AS (
    UPDATE slot s SET capacity = s.capacity - c.cut, remaining = s.remaining - c.cut
      FROM cuts c WHERE s.id = c.id
    RETURNING s.supply_id, c.cut)
  UPDATE supply p SET allocated = p.allocated - t.total
    FROM (SELECT supply_id, sum(cut)::int AS total FROM cut_slots GROUP BY supply_id) t
   WHERE p.id = t.supply_id;

  -- The confirmed doses; what is booked beyond them is uncovered.
  UPDATE supply p SET doses = GREATEST(r.doses, p.allocated), uncovered = GREATEST(0, p.allocated - r.doses)
    FROM jsonb_to_recordset(p_rows) AS r(clinic_id text, vaccine_id text, week_start date, doses int)
   WHERE p.campaign_id = p_campaign AND p.clinic_id = r.clinic_id AND p.vaccine_id = r.vaccine_id AND p.week_start = r.week_start;

  SELECT COALESCE(jsonb_agg(jsonb_build_object(
           'supplyId', p.id, 'clinicId', p.clinic_id, 'vaccineId', p.vaccine_id, 'weekStart', p.week_start,
           'requested', p.doses - p.uncovered, 'doses', p.doses, 'allocated', p.allocated,
           'booked', COALESCE(b.booked, 0), 'uncovered', p.uncovered,
           'cut', COALESCE((v_before ->> p.id::text)::int, 0) - p.allocated)
           ORDER BY p.clinic_id, p.vaccine_id, p.week_start), '[]'::jsonb),
         COALESCE(sum(p.uncovered), 0)::int
    INTO v_rows, v_total
    FROM supply p
    JOIN jsonb_to_recordset(p_rows) AS r(clinic_id text, vaccine_id text, week_start date)
      ON p.campaign_id = p_campaign AND p.clinic_id = r.clinic_id AND p.vaccine_id = r.vaccine_id AND p.week_start = r.week_start
    LEFT JOIN LATERAL (SELECT sum(s.capacity - s.remaining)::int AS booked FROM slot s WHERE s.supply_id = p.id) b ON true;

  SELECT COALESCE(jsonb_agg(jsonb_build_object(
           'bookingNumber', x.booking_number, 'dose', x.dose, 'day', x.day, 'clinicId', x.clinic_id,
           'vaccineId', x.vaccine_id, 'weekStart', x.week_start)
           ORDER BY x.clinic_id, x.vaccine_id, x.week_start, x.day, x.booking_number), '[]'::jsonb)
    INTO v_uncovered
    FROM (SELECT res.booking_number, d.dose, d.day, d.clinic_id, d.vaccine_id, p.week_start,
                 row_number() OVER (PARTITION BY p.id ORDER BY res.created_at DESC, res.id DESC, d.dose DESC) AS k, p.uncovered
            FROM supply p
            JOIN jsonb_to_recordset(p_rows) AS r(clinic_id text, vaccine_id text, week_start date)
              ON p.campaign_id = p_campaign AND p.clinic_id = r.clinic_id AND p.vaccine_id = r.vaccine_id AND p.week_start = r.week_start
            JOIN slot s ON s.supply_id = p.id
            JOIN reservation_dose d ON d.slot_id = s.id
            JOIN reservation res ON res.id = d.reservation_id AND res.status = 'confirmed'
           WHERE p.uncovered > 0) x
   WHERE x.k <= x.uncovered
   LIMIT p_listed_max;

  RETURN jsonb_build_object('rows', v_rows, 'uncoveredTotal', v_total, 'uncovered', v_uncovered);
END $$;

-- A dose given back in a week whose booked doses exceed its confirmed delivery (uncovered > 0)
-- pays that shortfall: the slot's capacity shrinks with it, and the supply row's doses, allocated
-- and uncovered by as much — it is not offered again. Only a return fires it (remaining up,
-- capacity unchanged: a cancel, a change away); bookings and capacity edits do not. The supply
-- row is read first without a lock (almost always uncovered = 0: nothing more to do), then
-- locked — after the slot, the order every writer of slots and supply uses.
CREATE FUNCTION slot_absorb_uncovered() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_taken int;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM supply WHERE id = NEW.supply_id AND uncovered > 0) THEN
    RETURN NEW;
  END IF;
  WITH o AS (
    SELECT id, LEAST(uncovered, NEW.remaining - OLD.remaining) AS taken FROM supply
     WHERE id = NEW.supply_id AND uncovered > 0 FOR UPDATE)
  UPDATE supply p SET uncovered = p.uncovered - o.taken, doses = p.doses - o.taken, allocated = p.allocated - o.taken
    FROM o WHERE p.id = o.id
  RETURNING o.taken INTO v_taken;
  IF v_taken IS NOT NULL THEN
    NEW.capacity := NEW.capacity - v_taken;
    NEW.remaining := NEW.remaining - v_taken;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER slot_absorb_uncovered BEFORE UPDATE OF remaining ON slot
  FOR EACH ROW WHEN (NEW.remaining > OLD.remaining AND NEW.capacity = OLD.capacity)
  EXECUTE FUNCTION slot_absorb_uncovered();
