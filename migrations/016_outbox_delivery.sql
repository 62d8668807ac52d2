-- The outbox gets a sender (issue #11): each row is one message to one person, delivered at
-- least once by the outbox worker (src/notifications/). Rows are claimed in one statement
-- (FOR UPDATE SKIP LOCKED) with a lease: a worker that dies between claiming and sending loses
-- the row when lease_until passes, and another worker sends it again with the same idempotency
-- key (the row's id), which the provider uses to drop the duplicate.
--
-- state: pending (to send; next_attempt_at says when), sent (sent_at set), dead (gave up after
-- the configured tries; an operator may put it back to pending from the console).
-- dedupe_key: a producer's own "one notice per …" rule (one per moved person per job, one alert
-- per favourite per release), enforced here by a unique index: INSERT … ON CONFLICT DO NOTHING.
ALTER TABLE outbox
  ADD COLUMN dedupe_key      text,
  ADD COLUMN state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
  ADD COLUMN next_attempt_at timestamptz,
  ADD COLUMN lease_until     timestamptz,
  ADD COLUMN leased_by       text,
  ADD COLUMN last_error      text,
  ADD COLUMN dead_at         timestamptz,
  ADD COLUMN channel         text;

-- Rows delivered before this file (none in practice: nothing sent until now) keep sent_at.
UPDATE outbox SET state = 'sent' WHERE sent_at IS NOT NULL;

CREATE UNIQUE INDEX outbox_dedupe ON outbox (dedupe_key) WHERE dedupe_key IS NOT NULL;
-- The worker's claim: due pending rows in id order.
CREATE INDEX outbox_pending_due ON outbox (id) WHERE state = 'pending';
CREATE INDEX outbox_dead ON outbox (dead_at) WHERE state = 'dead';
