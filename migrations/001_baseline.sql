-- yeyak baseline: the whole schema, one file (the pre-release chain 001…010, squashed before the
-- first release). Plain SQL, the same on PGlite and on a PostgreSQL server. Migrations are history:
-- once applied this file is never edited; a change goes in a new numbered file.
-- Correctness lives here: constraints and single conditional statements, never check-then-write.
-- The design notes and benchmark figures behind it: docs/ARCHITECTURE.md (Store, Booking).
-- Long on purpose (~860 lines): a baseline is the whole schema, read top to bottom by concept, and
-- book_batch (~330 lines) is one statement pipeline over one temp table, whose steps only make
-- sense together; its body is the pre-release chain's, byte for byte (test/core/baseline.test.ts).

-- ─── Places and vaccines ─────────────────────────────────────────────────────────────────────

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

-- ─── Campaigns ───────────────────────────────────────────────────────────────────────────────

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
  -- The campaign's standing notice on its page.
  notice_ko            text,
  notice_en            text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  -- The waiting room's live settings, written by the operator's PATCH before the live line takes
  -- them, so a line restored after a store loss comes back with them.
  queue_rate_per_s     int NOT NULL DEFAULT 100 CHECK (queue_rate_per_s > 0),
  queue_active_max     int NOT NULL DEFAULT 2000 CHECK (queue_active_max > 0),
  queue_shuffle_at_opening boolean NOT NULL DEFAULT false,
  queue_pow_bits       int NOT NULL DEFAULT 0 CHECK (queue_pow_bits BETWEEN 0 AND 24),
  queue_paused         boolean NOT NULL DEFAULT false,
  -- The queue's own notice: pausing and resuming the line must not touch notice_ko/notice_en.
  queue_notice_ko      text,
  queue_notice_en      text,
  -- queue-first: join the waiting room, then verify (July 2021); verify-first: verify, then join,
  -- and the place belongs to the person (August 2021).
  queue_order          text NOT NULL DEFAULT 'queue-first' CHECK (queue_order IN ('queue-first', 'verify-first')),
  CHECK (birth_from IS NULL OR birth_to IS NULL OR birth_from <= birth_to),
  CHECK (first_shot_day <= last_shot_day),
  CHECK ((doses = 1) = (dose2_interval_days IS NULL)),
  CONSTRAINT campaign_queue_notice_both CHECK ((queue_notice_ko IS NULL) = (queue_notice_en IS NULL))
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

-- ─── Supply and capacity ─────────────────────────────────────────────────────────────────────

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
  -- No oversell, ever: every claim's last line of defence.
  CONSTRAINT slot_remaining_in_range CHECK (remaining >= 0 AND remaining <= capacity)
);
-- A clinic's list of the day: slots by clinic and day (which never change: updates stay HOT).
CREATE INDEX slot_clinic_day ON slot (clinic_id, day);

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

-- ─── People and identity ─────────────────────────────────────────────────────────────────────

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
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- One device at a time: the device that last verified holds the person until
  -- device_lock_until (one conditional UPDATE takes and checks it; logout clears it).
  active_device    text,
  device_lock_until timestamptz,
  -- A person is who the provider vouches for: the CI's keyed hash, never the CI. NULL on a row a
  -- proxy or agent booking made for someone not yet verified; their first verification adopts it.
  ci_hash          text UNIQUE
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
-- Retention deletes expired challenges (name, phone) in batches: found without a scan.
CREATE INDEX identity_challenge_expires ON identity_challenge (expires_at);

-- The sandbox's resident registry: an RRN is bound to the first CI that claims it, and a CI to
-- one RRN. Both keys unique, so one INSERT … ON CONFLICT DO NOTHING decides a race. Hashes only.
CREATE TABLE resident_binding (
  rrn_hash text PRIMARY KEY,
  ci_hash  text NOT NULL UNIQUE,
  bound_at timestamptz NOT NULL
);

-- Logout: revoked session ids, kept until the session would have expired anyway. Each node
-- holds the live rows in memory, so checking a request is never a query.
CREATE TABLE session_revocation (
  sid        text PRIMARY KEY,
  person_id  bigint NOT NULL,
  revoked_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX session_revocation_revoked_at ON session_revocation (revoked_at);
CREATE INDEX session_revocation_expires_at ON session_revocation (expires_at);

-- ─── Reservations ────────────────────────────────────────────────────────────────────────────

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
  -- The proxy who booked for person_id (the beneficiary). No FK: written only by book_batch from
  -- a verified session, and the check would cost every booking on the hot path.
  proxy_person_id bigint,
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
  CONSTRAINT reservation_booked_by_known CHECK (booked_by IN ('self', 'proxy', 'agent')),
  CONSTRAINT reservation_proxy_recorded CHECK ((booked_by = 'proxy') = (proxy_person_id IS NOT NULL))
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

-- A client retries with the same key: same body → same answer; other body → 409. The key is the
-- caller's (the audit actor: 'person:12', 'staff:3'), person_id whom it booked for; it expires.
CREATE TABLE idempotency_key (
  person_id    bigint NOT NULL REFERENCES person (id),
  key          text NOT NULL,
  request_hash text NOT NULL,
  response     jsonb,
  created_at   timestamptz NOT NULL,
  caller       text NOT NULL,
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (caller, key),
  CONSTRAINT idempotency_key_caller_length CHECK (length(caller) BETWEEN 1 AND 80)
);
-- Retention deletes expired keys in batches ordered by expiry (one btree entry more per booking).
CREATE INDEX idempotency_key_expires ON idempotency_key (expires_at);

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
-- Retention deletes only delivered rows; undelivered ones stay (outbox_unsent finds those).
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- How many people one proxy may hold bookings for in a campaign: book_batch locks the row and
-- refuses past the cap (PROXY_CAP); the CHECK backs it, as slot_remaining_in_range backs slots.
CREATE TABLE proxy_quota (
  campaign_id     text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  proxy_person_id bigint NOT NULL REFERENCES person (id),
  cap             int NOT NULL CHECK (cap >= 0),
  used            int NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, proxy_person_id),
  CONSTRAINT proxy_quota_within_cap CHECK (used >= 0 AND used <= cap)
);

-- A cancelled proxy booking gives its place back (in the cancel's transaction). Fires only when
-- status changes (cancel), never on the booking path.
CREATE FUNCTION proxy_quota_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE proxy_quota SET used = used - 1
   WHERE campaign_id = NEW.campaign_id AND proxy_person_id = NEW.proxy_person_id;
  RETURN NULL;
END $$;
CREATE TRIGGER proxy_quota_release AFTER UPDATE OF status ON reservation
  FOR EACH ROW WHEN (OLD.status = 'confirmed' AND NEW.status <> 'confirmed' AND NEW.proxy_person_id IS NOT NULL)
  EXECUTE FUNCTION proxy_quota_release();

-- ─── Waiting room ────────────────────────────────────────────────────────────────────────────

-- Written ahead by the admission leader, so a restarted Redis (or single node) resumes every line
-- without losing or repeating a place: admitted_up_to is always >= the live counter.
CREATE TABLE queue_checkpoint (
  campaign_id      text PRIMARY KEY REFERENCES campaign (id) ON DELETE CASCADE,
  last_seq         bigint NOT NULL CHECK (last_seq >= 0),
  pre_count        bigint NOT NULL CHECK (pre_count >= 0),
  admitted_up_to   bigint NOT NULL CHECK (admitted_up_to >= 0),
  shuffle_seed     bigint,
  frozen_pre_count bigint,
  updated_at       timestamptz NOT NULL
);
-- last_seq and pre_count are reservations: no number above them is ever issued.
COMMENT ON COLUMN queue_checkpoint.last_seq IS 'main-line numbers reserved: every number issued is <= this';
COMMENT ON COLUMN queue_checkpoint.pre_count IS 'pre-queue numbers reserved: every number issued is <= this';

-- verify-first: one place per person and campaign. The primary key decides (INSERT … ON CONFLICT
-- DO NOTHING); a second join of the same person, from any device, is given the stored place.
CREATE TABLE queue_person_ticket (
  campaign_id text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  person_id   bigint NOT NULL REFERENCES person (id),
  seq         bigint NOT NULL CHECK (seq > 0),
  pre         boolean NOT NULL,
  issued_at   timestamptz NOT NULL,
  PRIMARY KEY (campaign_id, person_id)
);

-- ─── Staff ───────────────────────────────────────────────────────────────────────────────────

-- Each member has a role and a bearer token, stored only as its SHA-256 (a random 192-bit token
-- needs no slow hash). operator: all of /api/v1/admin; clinic: their clinic's paths; agent:
-- call-centre booking for a citizen.
CREATE TABLE staff (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  role        text NOT NULL CHECK (role IN ('operator', 'clinic', 'agent')),
  clinic_id   text REFERENCES clinic (id),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  token_hash  text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL,
  disabled_at timestamptz,
  CHECK ((role = 'clinic') = (clinic_id IS NOT NULL))
);

-- ─── Booking statements ──────────────────────────────────────────────────────────────────────
-- Each runs server-side in one round trip; nothing is read and then written from application
-- code. A claim never takes more than the slot holds, and slot_remaining_in_range backs it.

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

-- book_batch: many bookings in one transaction, set-based (group commit: the hot slot's lock is
-- taken once per batch). Every request gets the answer one-at-a-time processing in arrival order
-- would give it, and no request can fail the batch. Steps 1–4, rounds, and why: docs/ARCHITECTURE.md,
-- Booking. The bodies keep the pre-release chain's comments byte for byte (their definitions are
-- compared with it): "the claim of 006" there is step 3's claim.
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

-- change_reservation: what the request omits (clinic, or date) is read from the reservation under
-- its row lock, so two concurrent changes compose; the room is checked under the slot locks,
-- taken in book_batch's order. The proxy who booked may change it too (p_person_id is the caller).
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

-- cancel_reservation: capacity returns in the same transaction. The proxy who booked may cancel;
-- the audit row and the notice stay the beneficiary's, the actor says who cancelled.
CREATE FUNCTION cancel_reservation(
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
