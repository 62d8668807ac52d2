-- A booster (issue #11): a campaign whose cohort is defined by a person's earlier doses, and the
-- vaccination records an operator uploads for doses given outside this system.

-- A campaign's cohort by earlier doses (src/rules/cohort.ts): eligible when the last earlier dose
-- was at least min_days_since_last_dose days ago (days in the campaign's zone). source_campaigns
-- names the campaigns whose bookings count as earlier doses; null: every other campaign. No row:
-- the campaign asks nobody about earlier doses. Foreign keys to the source campaigns are not
-- possible on an array; the definition route checks that each exists.
CREATE TABLE campaign_cohort (
  campaign_id              text PRIMARY KEY REFERENCES campaign (id) ON DELETE CASCADE,
  kind                     text NOT NULL CHECK (kind IN ('after-doses')),
  min_days_since_last_dose int NOT NULL CHECK (min_days_since_last_dose BETWEEN 0 AND 3650),
  source_campaigns         text[] CHECK (source_campaigns IS NULL OR cardinality(source_campaigns) BETWEEN 1 AND 20),
  CHECK (source_campaigns IS NULL OR NOT (campaign_id = ANY (source_campaigns)))
);

-- Doses given elsewhere (another system, abroad, before this one existed), uploaded by an operator
-- (POST /api/v1/admin/vaccination-records, src/campaigns/vaccination-records.ts). Personal health
-- data: the person is the RRN's keyed hash only (person.rrn_hash's HMAC, rules/rrn.ts hashRrn),
-- never the number; no name or phone is kept. One row per person and dose number: an upload of the
-- same dose again replaces it (the latest upload is the record). See docs/ARCHITECTURE.md, Booster,
-- for its retention.
CREATE TABLE vaccination_record (
  rrn_hash    text NOT NULL,
  dose        smallint NOT NULL CHECK (dose BETWEEN 1 AND 9),
  day         date NOT NULL,
  vaccine_id  text NOT NULL REFERENCES vaccine (id),
  -- Where the record comes from (e.g. 'KDCA', 'overseas'): free text, one line, at most 100 characters.
  source      text NOT NULL CHECK (length(source) BETWEEN 1 AND 100),
  uploaded_at timestamptz NOT NULL,
  -- 'staff:<id>' or 'staff:admin-token'
  uploaded_by text NOT NULL,
  PRIMARY KEY (rrn_hash, dose)
);

-- The booster's "last dose in this system" reads a person's administered doses in any reservation
-- state (a dose given stays given when its reservation is later cancelled): by person, not by the
-- (campaign, person) no-show index of 012.
CREATE INDEX dose_outcome_administered ON dose_outcome (person_id) WHERE outcome = 'administered';
