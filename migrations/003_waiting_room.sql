-- Waiting room: per-campaign admission settings, and the checkpoint that lets a restarted Redis
-- (or a restarted single node) resume every line without losing or repeating a place.
ALTER TABLE campaign
  ADD COLUMN queue_rate_per_s int NOT NULL DEFAULT 100 CHECK (queue_rate_per_s > 0),
  ADD COLUMN queue_active_max int NOT NULL DEFAULT 2000 CHECK (queue_active_max > 0),
  ADD COLUMN queue_shuffle_at_opening boolean NOT NULL DEFAULT false,
  ADD COLUMN queue_pow_bits int NOT NULL DEFAULT 0 CHECK (queue_pow_bits BETWEEN 0 AND 24);

-- Written ahead by the admission leader: admitted_up_to here is always >= the live counter, and
-- last_seq/pre_count carry a margin above the numbers issued since the previous write.
CREATE TABLE queue_checkpoint (
  campaign_id      text PRIMARY KEY REFERENCES campaign (id) ON DELETE CASCADE,
  last_seq         bigint NOT NULL CHECK (last_seq >= 0),
  pre_count        bigint NOT NULL CHECK (pre_count >= 0),
  admitted_up_to   bigint NOT NULL CHECK (admitted_up_to >= 0),
  shuffle_seed     bigint,
  frozen_pre_count bigint,
  updated_at       timestamptz NOT NULL
);
