-- Retention of personal data (issue #7; src/operations/retention.ts). The job deletes, in batches
-- of a few thousand rows, identity_challenge rows (name, phone) some time after they expire and
-- outbox rows some time after delivery. These indexes find each batch without a scan of the table.
CREATE INDEX IF NOT EXISTS identity_challenge_expires ON identity_challenge (expires_at);
-- Only delivered rows are ever deleted; undelivered ones stay (outbox_unsent finds those).
CREATE INDEX IF NOT EXISTS outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
