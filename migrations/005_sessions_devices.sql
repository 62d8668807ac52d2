-- Sessions, devices and the order of queue and verification (issue #4).

-- Logout: revoked session ids until the session would have expired anyway (then the row is
-- pruned), so the table holds at most the logouts of one session lifetime. Every node keeps the
-- live rows in memory (src/identity/revocations.ts) and refreshes them each second: the check on
-- a request is a Set lookup, never a query.
CREATE TABLE session_revocation (
  sid        text PRIMARY KEY,
  person_id  bigint NOT NULL,
  revoked_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX session_revocation_revoked_at ON session_revocation (revoked_at);
CREATE INDEX session_revocation_expires_at ON session_revocation (expires_at);

-- One device at a time (the August 2021 rule): the device that last verified holds the person
-- until device_lock_until; another device's verification before then is refused. Taken and
-- checked by one conditional UPDATE (src/identity/devices.ts); logout on that device clears it.
ALTER TABLE person
  ADD COLUMN active_device text,
  ADD COLUMN device_lock_until timestamptz;

-- queue-first: join the waiting room, then verify (July 2021); verify-first: verify, then join,
-- and the place belongs to the person (August 2021).
ALTER TABLE campaign
  ADD COLUMN queue_order text NOT NULL DEFAULT 'queue-first' CHECK (queue_order IN ('queue-first', 'verify-first'));

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
