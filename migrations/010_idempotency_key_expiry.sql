-- Expired idempotency keys are deleted by the retention job (src/operations/retention.ts), in
-- bounded batches ordered by expiry: this index lets each batch find its rows without a scan of
-- the whole table. One more btree entry per booking on the hot path.
CREATE INDEX idempotency_key_expires ON idempotency_key (expires_at);
