-- yeyak schema, version 1. Plain SQL, the same on PGlite and on a PostgreSQL server.
-- Correctness lives here: constraints and single conditional statements, never check-then-write.

-- The 17 시/도 (level 1) and their 시/군/구 (level 2).
CREATE TABLE region (
  code        text PRIMARY KEY,
  parent_code text REFERENCES region (code),
  level       smallint NOT NULL CHECK (level IN (1, 2)),
  name_ko     text NOT NULL,
  name_en     text NOT NULL,
  CHECK ((level = 1) = (parent_code IS NULL))
);

CREATE TABLE vaccine (
  id                text PRIMARY KEY,
  name_ko           text NOT NULL,
  name_en           text NOT NULL,
  platform          text NOT NULL,
  doses             smallint NOT NULL CHECK (doses IN (1, 2)),
  -- Nominal days between dose 1 and dose 2, and the range a change may move dose 2 within.
  interval_days     int CHECK (interval_days > 0),
  interval_min_days int CHECK (interval_min_days > 0),
  interval_max_days int CHECK (interval_max_days >= interval_min_days),
  CHECK ((doses = 1) OR (interval_days BETWEEN interval_min_days AND interval_max_days))
);

CREATE TABLE clinic (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  sido_code    text NOT NULL REFERENCES region (code),
  sigungu_code text NOT NULL REFERENCES region (code),
  address      text NOT NULL,
  phone        text NOT NULL
);
CREATE INDEX clinic_sigungu ON clinic (sigungu_code);

CREATE TABLE campaign (
  id                   text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name_ko              text NOT NULL,
  name_en              text NOT NULL,
  time_zone            text NOT NULL DEFAULT 'Asia/Seoul',
  -- Cohort: birth-date range (inclusive) and/or an uploaded roster.
  birth_from           date,
  birth_to             date,
  roster_required      boolean NOT NULL DEFAULT false,
  proxy_allowed        boolean NOT NULL,
  doses                smallint NOT NULL CHECK (doses IN (1, 2)),
  dose2_interval_days  int CHECK (dose2_interval_days > 0),
  -- "No change within N days of the shot"; "cancel until M days before".
  change_freeze_days   int NOT NULL CHECK (change_freeze_days >= 0),
  cancel_until_days    int NOT NULL CHECK (cancel_until_days >= 0),
  -- When dose 2 falls on a blackout date it moves by this many days (negative = earlier), repeatedly.
  blackout_shift_days  int NOT NULL DEFAULT -1 CHECK (blackout_shift_days <> 0),
  -- Vaccination dates offered for dose 1 (inclusive).
  first_shot_day       date NOT NULL,
  last_shot_day        date NOT NULL,
  queue_enabled        boolean NOT NULL DEFAULT false,
  notice_ko            text,
  notice_en            text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (birth_from IS NULL OR birth_to IS NULL OR birth_from <= birth_to),
  CHECK (first_shot_day <= last_shot_day),
  CHECK ((doses = 1) = (dose2_interval_days IS NULL))
);

-- Booking windows. A window admits birth days whose last digit is in birth_day_digits (null: any)
-- and birth years in [birth_year_from, birth_year_to] (null: any).
CREATE TABLE campaign_window (
  campaign_id     text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  seq             int NOT NULL,
  label_ko        text NOT NULL,
  label_en        text NOT NULL,
  opens_at        timestamptz NOT NULL,
  closes_at       timestamptz NOT NULL,
  birth_day_digits smallint[],
  birth_year_from int,
  birth_year_to   int,
  PRIMARY KEY (campaign_id, seq),
  CHECK (closes_at > opens_at),
  CHECK (birth_year_from IS NULL OR birth_year_to IS NULL OR birth_year_from <= birth_year_to)
);

-- Vaccine per region and week: the first rule (lowest seq) that matches wins.
CREATE TABLE campaign_vaccine_rule (
  campaign_id text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  seq         int NOT NULL,
  sido_code   text REFERENCES region (code),
  day_from    date,
  day_to      date,
  vaccine_id  text NOT NULL REFERENCES vaccine (id),
  PRIMARY KEY (campaign_id, seq)
);

-- Days on which no dose 2 is given (e.g. Chuseok); dose 2 shifts by blackout_shift_days.
CREATE TABLE campaign_blackout (
  campaign_id text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  day         date NOT NULL,
  label       text NOT NULL,
  PRIMARY KEY (campaign_id, day)
);

CREATE TABLE campaign_roster (
  campaign_id text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  rrn_hash    text NOT NULL,
  PRIMARY KEY (campaign_id, rrn_hash)
);

-- Confirmed deliveries. Capacity can only be created against supply: allocated <= doses.
CREATE TABLE supply (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  clinic_id   text NOT NULL REFERENCES clinic (id),
  vaccine_id  text NOT NULL REFERENCES vaccine (id),
  week_start  date NOT NULL,
  doses       int NOT NULL CHECK (doses >= 0),
  allocated   int NOT NULL DEFAULT 0,
  UNIQUE (campaign_id, clinic_id, vaccine_id, week_start),
  CHECK (allocated >= 0 AND allocated <= doses)
);

-- Capacity per clinic × day × dose × vaccine (dose-1 vaccine fixed by the campaign's rule).
-- remaining is the only hot column; it is not indexed so its updates stay HOT.
CREATE TABLE slot (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  clinic_id   text NOT NULL REFERENCES clinic (id),
  day         date NOT NULL,
  dose        smallint NOT NULL CHECK (dose IN (1, 2)),
  vaccine_id  text NOT NULL REFERENCES vaccine (id),
  supply_id   bigint NOT NULL REFERENCES supply (id),
  capacity    int NOT NULL CHECK (capacity >= 0),
  remaining   int NOT NULL,
  -- vaccine is part of the key: dose 2 must use dose 1's vaccine, and two dose-1 days with
  -- different vaccines may shift onto the same dose-2 day.
  UNIQUE (campaign_id, clinic_id, day, dose, vaccine_id),
  CONSTRAINT slot_remaining_in_range CHECK (remaining >= 0 AND remaining <= capacity)
);

-- Statement-level: one aggregated supply update per INSERT statement, not per row.
CREATE FUNCTION slot_allocate_supply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE supply s SET allocated = s.allocated + n.total
  FROM (SELECT supply_id, sum(capacity)::int AS total FROM inserted GROUP BY supply_id) n
  WHERE s.id = n.supply_id;
  RETURN NULL;
END $$;
CREATE TRIGGER slot_allocate_supply AFTER INSERT ON slot
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION slot_allocate_supply();

-- Change feed for the in-process availability view: every change of remaining appends a row.
-- Per slot, seq order equals commit order (the row lock is held from the UPDATE to the commit).
CREATE TABLE slot_change (
  seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slot_id   bigint NOT NULL,
  remaining int NOT NULL
);
CREATE FUNCTION slot_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO slot_change (slot_id, remaining) VALUES (NEW.id, NEW.remaining);
  RETURN NULL;
END $$;
CREATE TRIGGER slot_record_change AFTER UPDATE OF remaining ON slot
  FOR EACH ROW WHEN (OLD.remaining IS DISTINCT FROM NEW.remaining) EXECUTE FUNCTION slot_record_change();

-- People. The resident registration number is never stored: only its keyed hash (HMAC-SHA256)
-- and what is derived from it.
CREATE TABLE person (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rrn_hash         text NOT NULL UNIQUE,
  birth_date       date NOT NULL,
  sex              char(1) NOT NULL CHECK (sex IN ('M', 'F')),
  foreign_resident boolean NOT NULL,
  name             text NOT NULL,
  phone            text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE identity_challenge (
  id          text PRIMARY KEY,
  method      text NOT NULL,
  rrn_hash    text NOT NULL,
  birth_date  date NOT NULL,
  sex         char(1) NOT NULL,
  foreign_resident boolean NOT NULL,
  name        text NOT NULL,
  phone       text NOT NULL,
  code_hash   text NOT NULL,
  attempts    int NOT NULL DEFAULT 0,
  attempts_max int NOT NULL DEFAULT 5,
  expires_at  timestamptz NOT NULL,
  verified_at timestamptz
);

CREATE TABLE reservation (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  booking_number  text NOT NULL UNIQUE,
  -- No FK on campaign_id, clinic_id: copied from the claimed slot; reservation_dose.slot_id → slot implies them.
  campaign_id     text NOT NULL,
  person_id       bigint NOT NULL REFERENCES person (id),
  clinic_id       text NOT NULL,
  status          text NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
  booked_by       text NOT NULL DEFAULT 'self',
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  cancelled_at    timestamptz,
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
-- One live reservation per person per campaign.
CREATE UNIQUE INDEX reservation_one_per_person ON reservation (campaign_id, person_id) WHERE status = 'confirmed';

CREATE TABLE reservation_dose (
  reservation_id bigint NOT NULL REFERENCES reservation (id),
  dose           smallint NOT NULL CHECK (dose IN (1, 2)),
  slot_id        bigint NOT NULL REFERENCES slot (id),
  clinic_id      text NOT NULL, -- no FK (clinic, vaccine): implied by slot_id, one check instead of three
  day            date NOT NULL,
  vaccine_id     text NOT NULL,
  PRIMARY KEY (reservation_id, dose)
);
CREATE INDEX reservation_dose_slot ON reservation_dose (slot_id);

-- A client retries with the same key: same body → same answer; other body → 409.
CREATE TABLE idempotency_key (
  person_id    bigint NOT NULL REFERENCES person (id),
  key          text NOT NULL,
  request_hash text NOT NULL,
  response     jsonb,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (person_id, key)
);

CREATE TABLE audit_log (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at             timestamptz NOT NULL,
  actor          text NOT NULL,
  action         text NOT NULL,
  reservation_id bigint,
  person_id      bigint,
  detail         jsonb NOT NULL DEFAULT '{}'
);

-- Written in the same transaction as the change it announces; a sender drains it (later issue).
CREATE TABLE outbox (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at timestamptz NOT NULL,
  topic      text NOT NULL,
  payload    jsonb NOT NULL,
  sent_at    timestamptz,
  attempts   int NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
