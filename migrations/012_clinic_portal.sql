-- The clinic portal (issue #9): what happened to each dose, and leftover doses released for today.

-- A dose's outcome, recorded by clinic staff (or an operator) on the dose's day or later. One row
-- per reservation dose; src/staff/clinic-sql.ts writes it in one conditional upsert together with
-- its audit_log row, so there is never an outcome without its audit row nor the reverse.
-- The rule (the upsert's WHERE): a first outcome may be either; a no_show may later be corrected
-- to administered (the person came late); an administered dose never becomes no_show, and the
-- same outcome again changes nothing. So the outcome only moves no_show → administered, and
-- concurrent requests end the same whichever commits first.
-- campaign_id and person_id are copied from the reservation: the next issue's leftover booking
-- refuses a person with a no-show in the campaign, which must hold even after the reservation is
-- cancelled or changed (dose_outcome_no_show answers it). clinic_id and day are where and when
-- the dose was due when its outcome was recorded.
CREATE TABLE dose_outcome (
  reservation_id       bigint NOT NULL,
  dose                 smallint NOT NULL CHECK (dose IN (1, 2)),
  campaign_id          text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  person_id            bigint NOT NULL REFERENCES person (id),
  clinic_id            text NOT NULL REFERENCES clinic (id),
  day                  date NOT NULL,
  outcome              text NOT NULL CHECK (outcome IN ('administered', 'no_show')),
  -- The outcome this one corrected (only ever no_show), else null.
  corrected_from       text CHECK (corrected_from IS NULL OR (corrected_from = 'no_show' AND outcome = 'administered')),
  recorded_at          timestamptz NOT NULL,
  -- The staff member (null: YEYAK_ADMIN_TOKEN, an operator with no row) and their name then.
  recorded_by_staff_id bigint REFERENCES staff (id),
  recorded_by          text NOT NULL,
  PRIMARY KEY (reservation_id, dose),
  FOREIGN KEY (reservation_id, dose) REFERENCES reservation_dose (reservation_id, dose)
);
CREATE INDEX dose_outcome_no_show ON dose_outcome (campaign_id, person_id) WHERE outcome = 'no_show';

-- Leftover doses (opened vials, late cancellations) a clinic releases for today, to be booked by
-- people nearby until `until` (the booking is the next issue: it claims with one conditional
-- `UPDATE … SET taken = taken + 1 WHERE taken < doses AND withdrawn_at IS NULL AND until > now`,
-- and the CHECK backs it, as slot_remaining_in_range backs the slots). A withdrawal sets
-- withdrawn_at: what is untaken is no longer offered, what was taken stays taken.
CREATE TABLE leftover_release (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  clinic_id            text NOT NULL REFERENCES clinic (id),
  campaign_id          text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  vaccine_id           text NOT NULL REFERENCES vaccine (id),
  day                  date NOT NULL, -- today in Korea when released
  doses                int NOT NULL CHECK (doses BETWEEN 1 AND 100),
  taken                int NOT NULL DEFAULT 0,
  until                timestamptz NOT NULL,
  released_by_staff_id bigint REFERENCES staff (id),
  released_by          text NOT NULL,
  released_at          timestamptz NOT NULL,
  withdrawn_at         timestamptz,
  withdrawn_by         text,
  CONSTRAINT leftover_taken_in_range CHECK (taken >= 0 AND taken <= doses),
  CHECK (until > released_at),
  CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL))
);
-- The clinic's list of the day; the next issue's search for open releases of a campaign today.
CREATE INDEX leftover_release_clinic_day ON leftover_release (clinic_id, day);
CREATE INDEX leftover_release_open ON leftover_release (campaign_id, day) WHERE withdrawn_at IS NULL;
