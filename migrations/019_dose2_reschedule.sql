-- Bulk second-dose moves (issue #11; in 2021, 11.56M dose-2 bookings moved from 4 to 5–6 weeks in
-- one batch, Chuseok dates shifted 5 days earlier). An operator's plan becomes a job; the job runs
-- in batches, each batch ONE call of reschedule_batch = one transaction that claims the new
-- dose-2 units, releases the old, moves the dose rows, writes the notices, lists the unfit and
-- advances the cursor together. A kill anywhere leaves the job at its last committed batch, and a
-- resume continues after the cursor: nobody is moved twice.
--
-- Job states: queued (made, or resumed by an operator; a runner will claim it) → running (a runner
-- holds its lease: lease_owner until lease_until, renewed by every batch) → done (no reservation
-- left after the cursor) | paused (operator; the next batch sees it and stops) | failed (a batch
-- threw; last_error says what). paused and failed go back to queued on resume. A runner claims a
-- queued job, or a running one whose lease has expired (its node died).

CREATE TABLE reschedule_job (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at    timestamptz NOT NULL,
  created_by    text NOT NULL,
  plan          jsonb NOT NULL,           -- the validated plan as given (src/reschedule/plan.ts)
  campaign_id   text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  vaccine_id    text NOT NULL,
  day1_from     date NOT NULL,
  day1_to       date NOT NULL,
  clinic_ids    text[],                   -- NULL: every clinic
  spread        boolean NOT NULL,         -- pick: false = first day with room, true = spread over the days
  batch_size    int NOT NULL CHECK (batch_size BETWEEN 1 AND 10000),
  state         text NOT NULL CHECK (state IN ('queued', 'running', 'paused', 'done', 'failed')),
  total         int NOT NULL CHECK (total >= 0), -- in scope when the job was made (bookings since may add)
  examined      int NOT NULL DEFAULT 0,
  moved         int NOT NULL DEFAULT 0,
  unfit         int NOT NULL DEFAULT 0,
  skipped       int NOT NULL DEFAULT 0,
  batches       int NOT NULL DEFAULT 0,
  cursor_id     bigint NOT NULL DEFAULT 0, -- the last reservation id a committed batch examined
  lease_owner   text,
  lease_until   timestamptz,
  started_at    timestamptz,
  finished_at   timestamptz,
  updated_at    timestamptz NOT NULL,
  last_error    text,
  CHECK (day1_from <= day1_to),
  CHECK (examined = moved + unfit + skipped)
);
CREATE INDEX reschedule_job_runnable ON reschedule_job (id) WHERE state IN ('queued', 'running');

-- The plan's dose-2 days per dose-1 day, in the order they are tried (rank 1 first), computed from
-- the plan by rules (src/reschedule/candidates.ts: interval range, avoided days and the shift).
CREATE TABLE reschedule_candidate (
  job_id bigint NOT NULL REFERENCES reschedule_job (id) ON DELETE CASCADE,
  day1   date NOT NULL,
  rank   int NOT NULL CHECK (rank >= 1),
  day2   date NOT NULL,
  PRIMARY KEY (job_id, day1, rank),
  UNIQUE (job_id, day1, day2)
);

-- People whose new dose 2 did not fit: listed, never dropped. reason: FULL (every plan day's slot
-- at their clinic was full), NO_SLOT (no dose-2 slot on any plan day there), NO_DOSE2.
CREATE TABLE reschedule_unfit (
  job_id         bigint NOT NULL REFERENCES reschedule_job (id) ON DELETE CASCADE,
  reservation_id bigint NOT NULL,
  booking_number text NOT NULL,
  clinic_id      text NOT NULL,
  day1           date NOT NULL,
  day2           date,                    -- the dose-2 day they keep
  reason         text NOT NULL CHECK (reason IN ('FULL', 'NO_SLOT', 'NO_DOSE2')),
  PRIMARY KEY (job_id, reservation_id)
);

-- Moved per new dose-2 day (the console's and the dry run's counts per day).
CREATE TABLE reschedule_job_day (
  job_id bigint NOT NULL REFERENCES reschedule_job (id) ON DELETE CASCADE,
  day    date NOT NULL,
  moved  int NOT NULL,
  PRIMARY KEY (job_id, day)
);

-- The dose-2 row remembers the move that placed it: the job, and the dose-1 day it was moved for.
-- The auditor (operations/audit-sql.ts) accepts a dose 2 off the campaign's interval while dose 1
-- is still on that day; a later change of dose 1 recomputes dose 2 and the mark no longer applies.
ALTER TABLE reservation_dose ADD COLUMN moved_job_id bigint, ADD COLUMN moved_day1 date;

-- One batch. p_apply false is the dry run: the caller runs every batch inside one transaction that
-- it rolls back; nothing is locked and slot room is counted in reschedule_room across batches
-- (initialised from slot.remaining, minus claims, plus releases), as the real run would see it.
--
-- The claim is rank-first: every reservation's first plan day is served before anyone's second
-- (in spread mode each reservation's order is rotated by its id, so the days fill evenly); within
-- a slot, lower reservation ids first. Units released by a batch count from the next batch on.
-- Locks: the batch's reservations in id order (as change/cancel lock theirs first), then every
-- dose-2 slot involved in book_batch's global order (dose, clinic, day, campaign, vaccine); so a
-- live booking, change or cancel waits for the batch or the batch for it, never both.
CREATE FUNCTION reschedule_batch(p_job_id bigint, p_owner text, p_now timestamptz, p_lease_ms int, p_apply boolean)
RETURNS TABLE (o_code text, o_examined int, o_moved int, o_unfit int, o_skipped int, o_cursor bigint, o_done boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_job reschedule_job%ROWTYPE;
  v_ids bigint[];
  v_last bigint;
  v_ranks int;
  v_pending int;
  v_moved int;
  v_unfit int;
  v_examined int;
BEGIN
  SELECT * INTO v_job FROM reschedule_job WHERE id = p_job_id FOR UPDATE;
  IF NOT FOUND THEN o_code := 'NOT_FOUND'; RETURN NEXT; RETURN; END IF;
  IF v_job.state <> 'running' THEN o_code := 'NOT_RUNNING'; RETURN NEXT; RETURN; END IF;
  IF v_job.lease_owner IS DISTINCT FROM p_owner THEN o_code := 'LEASE_LOST'; RETURN NEXT; RETURN; END IF;

  IF to_regclass('pg_temp.reschedule_row') IS NULL THEN
    CREATE TEMP TABLE reschedule_row (
      reservation_id bigint PRIMARY KEY, booking_number text NOT NULL, person_id bigint NOT NULL,
      clinic_id text NOT NULL, vaccine_id text NOT NULL, day1 date NOT NULL,
      old_slot bigint, old_day date, moved_before boolean NOT NULL,
      outcome text NOT NULL, reason text, new_slot bigint, new_day date
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE reschedule_choice (reservation_id bigint NOT NULL, rank int NOT NULL, slot_id bigint NOT NULL, day date NOT NULL) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE reschedule_room (slot_id bigint PRIMARY KEY, room int NOT NULL) ON COMMIT DELETE ROWS;
  END IF;
  DELETE FROM reschedule_row;
  DELETE FROM reschedule_choice;
  IF p_apply THEN DELETE FROM reschedule_room; END IF; -- the dry run keeps its room across batches

  -- 1. The next reservations in scope after the cursor (no lock yet; re-read under it in 2).
  --    Walks the primary key from the cursor and probes each one's dose 1 (a correlated
  --    subquery, never a join: at 1M reservations a hash or merge join read all of
  --    reservation_dose for every batch).
  SELECT array_agg(id ORDER BY id), max(id) INTO v_ids, v_last FROM (
    SELECT r.id FROM reservation r
     WHERE r.id > v_job.cursor_id AND r.campaign_id = v_job.campaign_id AND r.status = 'confirmed'
       AND (SELECT true FROM reservation_dose d1
             WHERE d1.reservation_id = r.id AND d1.dose = 1
               AND d1.day BETWEEN v_job.day1_from AND v_job.day1_to AND d1.vaccine_id = v_job.vaccine_id
               AND (v_job.clinic_ids IS NULL OR d1.clinic_id = ANY (v_job.clinic_ids))) IS TRUE
     ORDER BY r.id LIMIT v_job.batch_size) x;
  IF v_ids IS NULL THEN
    UPDATE reschedule_job SET state = 'done', finished_at = p_now, updated_at = p_now, lease_owner = NULL, lease_until = NULL
     WHERE id = p_job_id;
    o_code := 'DONE'; o_examined := 0; o_moved := 0; o_unfit := 0; o_skipped := 0; o_cursor := v_job.cursor_id; o_done := true;
    RETURN NEXT; RETURN;
  END IF;
  v_examined := cardinality(v_ids);

  -- 2. Lock them, then read each one's doses as they are now; one that left the scope meanwhile
  --    (cancelled, dose 1 changed) is not loaded and counts as skipped.
  --    The id range bounds every scan of reservation to this batch's stretch of the primary key.
  IF p_apply THEN
    PERFORM 1 FROM reservation WHERE id > v_job.cursor_id AND id <= v_last AND id = ANY (v_ids) ORDER BY id FOR UPDATE;
  END IF;
  INSERT INTO reschedule_row (reservation_id, booking_number, person_id, clinic_id, vaccine_id, day1, old_slot, old_day, moved_before, outcome, reason)
  SELECT r.id, r.booking_number, r.person_id, d1.clinic_id, d1.vaccine_id, d1.day, d2.slot_id, d2.day,
         coalesce(d2.moved_job_id = p_job_id, false),
         CASE WHEN d2.reservation_id IS NULL THEN 'UNFIT'
              WHEN d2.moved_job_id = p_job_id THEN 'SKIPPED'
              WHEN EXISTS (SELECT 1 FROM reschedule_candidate c WHERE c.job_id = p_job_id AND c.day1 = d1.day AND c.day2 = d2.day) THEN 'SKIPPED'
              ELSE 'PENDING' END,
         CASE WHEN d2.reservation_id IS NULL THEN 'NO_DOSE2' END
    FROM reservation r
    CROSS JOIN LATERAL (SELECT * FROM reservation_dose d WHERE d.reservation_id = r.id AND d.dose = 1 LIMIT 1) d1
    LEFT JOIN LATERAL (SELECT * FROM reservation_dose d WHERE d.reservation_id = r.id AND d.dose = 2 LIMIT 1) d2 ON true
   WHERE r.id > v_job.cursor_id AND r.id <= v_last AND r.id = ANY (v_ids) AND r.status = 'confirmed' AND r.campaign_id = v_job.campaign_id
     AND d1.day BETWEEN v_job.day1_from AND v_job.day1_to AND d1.vaccine_id = v_job.vaccine_id
     AND (v_job.clinic_ids IS NULL OR d1.clinic_id = ANY (v_job.clinic_ids));

  -- 3. Each pending reservation's plan days that have a dose-2 slot at its clinic, in its order.
  INSERT INTO reschedule_choice (reservation_id, rank, slot_id, day)
  SELECT b.reservation_id,
         CASE WHEN v_job.spread THEN ((c.rank - 1 + b.reservation_id % c.n) % c.n) + 1 ELSE c.rank END,
         s.id, c.day2
    FROM reschedule_row b
    JOIN (SELECT day1, rank, day2, count(*) OVER (PARTITION BY day1) AS n FROM reschedule_candidate WHERE job_id = p_job_id) c
      ON c.day1 = b.day1
    JOIN slot s ON s.campaign_id = v_job.campaign_id AND s.clinic_id = b.clinic_id AND s.day = c.day2
               AND s.dose = 2 AND s.vaccine_id = b.vaccine_id
   WHERE b.outcome = 'PENDING';
  SELECT max(rank) INTO v_ranks FROM reschedule_choice;

  -- 4. Lock every dose-2 slot involved (old and candidate) in the global order; room under the locks.
  IF p_apply THEN
    PERFORM 1 FROM slot WHERE id = ANY (ARRAY(SELECT slot_id FROM reschedule_choice UNION SELECT old_slot FROM reschedule_row WHERE outcome = 'PENDING'))
     ORDER BY dose, clinic_id, day, campaign_id, vaccine_id FOR NO KEY UPDATE;
  END IF;
  INSERT INTO reschedule_room (slot_id, room)
  SELECT s.id, s.remaining FROM slot s WHERE s.id = ANY (ARRAY(SELECT DISTINCT slot_id FROM reschedule_choice))
  ON CONFLICT (slot_id) DO NOTHING;

  -- 5. Rank-first claim: round k serves every pending reservation's k-th day where room is left.
  FOR k IN 1 .. coalesce(v_ranks, 0) LOOP
    WITH cand AS (
      SELECT c.reservation_id, c.slot_id, c.day, row_number() OVER (PARTITION BY c.slot_id ORDER BY c.reservation_id) AS n
        FROM reschedule_choice c JOIN reschedule_row b ON b.reservation_id = c.reservation_id
       WHERE c.rank = k AND b.outcome = 'PENDING'),
    won AS (SELECT cand.* FROM cand JOIN reschedule_room m ON m.slot_id = cand.slot_id WHERE cand.n <= m.room),
    upd AS (
      UPDATE reschedule_row b SET outcome = 'MOVED', new_slot = w.slot_id, new_day = w.day
        FROM won w WHERE b.reservation_id = w.reservation_id RETURNING w.slot_id)
    UPDATE reschedule_room m SET room = m.room - x.n
      FROM (SELECT slot_id, count(*)::int AS n FROM upd GROUP BY slot_id) x WHERE m.slot_id = x.slot_id;
    SELECT count(*) INTO v_pending FROM reschedule_row WHERE outcome = 'PENDING';
    EXIT WHEN v_pending = 0;
  END LOOP;
  UPDATE reschedule_row b SET outcome = 'UNFIT',
         reason = CASE WHEN EXISTS (SELECT 1 FROM reschedule_choice c WHERE c.reservation_id = b.reservation_id) THEN 'FULL' ELSE 'NO_SLOT' END
   WHERE outcome = 'PENDING';

  -- 6. Units: -1 on each new slot, +1 on each old one, net per slot, in one statement (the CHECK
  --    slot_remaining_in_range backs it). The dry run gives the released units to its room.
  IF p_apply THEN
    UPDATE slot s SET remaining = s.remaining + m.delta
      FROM (SELECT id, sum(delta)::int AS delta FROM (
              SELECT new_slot AS id, -1 AS delta FROM reschedule_row WHERE outcome = 'MOVED'
              UNION ALL SELECT old_slot, 1 FROM reschedule_row WHERE outcome = 'MOVED') u
             GROUP BY id HAVING sum(delta) <> 0) m
     WHERE s.id = m.id;
    UPDATE reservation_dose d SET slot_id = b.new_slot, day = b.new_day, moved_job_id = p_job_id, moved_day1 = b.day1
      FROM reschedule_row b WHERE b.outcome = 'MOVED' AND d.reservation_id = b.reservation_id AND d.dose = 2;
    UPDATE reservation r SET updated_at = p_now FROM reschedule_row b WHERE b.outcome = 'MOVED' AND r.id = b.reservation_id;
    -- One notice per moved person per job, even across a resume (dedupe_key, migrations/016).
    INSERT INTO outbox (created_at, topic, payload, dedupe_key)
    SELECT p_now, 'reservation.dose2_moved',
           jsonb_build_object('personId', person_id, 'bookingNumber', booking_number, 'campaignId', v_job.campaign_id,
                              'clinicId', clinic_id, 'fromDay', old_day, 'toDay', new_day, 'jobId', p_job_id),
           'dose2_moved:' || p_job_id || ':' || reservation_id
      FROM reschedule_row WHERE outcome = 'MOVED' ORDER BY reservation_id
    ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;
  ELSE
    INSERT INTO reschedule_room (slot_id, room)
    SELECT s.id, s.remaining FROM slot s WHERE s.id = ANY (ARRAY(SELECT DISTINCT old_slot FROM reschedule_row WHERE outcome = 'MOVED'))
    ON CONFLICT (slot_id) DO NOTHING;
    UPDATE reschedule_room m SET room = m.room + x.n
      FROM (SELECT old_slot, count(*)::int AS n FROM reschedule_row WHERE outcome = 'MOVED' GROUP BY old_slot) x
     WHERE m.slot_id = x.old_slot;
  END IF;

  INSERT INTO reschedule_unfit (job_id, reservation_id, booking_number, clinic_id, day1, day2, reason)
  SELECT p_job_id, reservation_id, booking_number, clinic_id, day1, old_day, reason FROM reschedule_row WHERE outcome = 'UNFIT'
  ON CONFLICT (job_id, reservation_id) DO NOTHING;
  INSERT INTO reschedule_job_day AS j (job_id, day, moved)
  SELECT p_job_id, new_day, count(*)::int FROM reschedule_row WHERE outcome = 'MOVED' GROUP BY new_day
  ON CONFLICT (job_id, day) DO UPDATE SET moved = j.moved + excluded.moved;

  SELECT count(*) FILTER (WHERE outcome = 'MOVED'), count(*) FILTER (WHERE outcome = 'UNFIT')
    INTO v_moved, v_unfit FROM reschedule_row;
  UPDATE reschedule_job SET cursor_id = v_last, examined = examined + v_examined, moved = moved + v_moved,
         unfit = unfit + v_unfit, skipped = skipped + (v_examined - v_moved - v_unfit), batches = batches + 1,
         updated_at = p_now, lease_until = p_now + p_lease_ms * interval '1 millisecond'
   WHERE id = p_job_id;
  o_code := 'OK'; o_examined := v_examined; o_moved := v_moved; o_unfit := v_unfit;
  o_skipped := v_examined - v_moved - v_unfit; o_cursor := v_last; o_done := false;
  RETURN NEXT;
END $$;
