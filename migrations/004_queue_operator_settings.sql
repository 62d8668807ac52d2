-- Waiting room: the operator's live settings outlive the store. The admin API writes the rate,
-- the cap on active passes and the PoW difficulty to the existing queue_* columns, and the pause
-- and the public notice here, before the live line (Redis or in-process) takes them; a line
-- restored after Redis lost its memory, or a restarted single node, comes back with them.
-- The queue notice has columns of its own: notice_ko/notice_en are the campaign's standing notice
-- on its page, which pausing and resuming the line must not overwrite or clear.
ALTER TABLE campaign
  ADD COLUMN queue_paused boolean NOT NULL DEFAULT false,
  ADD COLUMN queue_notice_ko text,
  ADD COLUMN queue_notice_en text,
  ADD CONSTRAINT campaign_queue_notice_both CHECK ((queue_notice_ko IS NULL) = (queue_notice_en IS NULL));

-- Rewritten meaning of two columns of queue_checkpoint: last_seq and pre_count are reservations —
-- no number above them is ever issued (the store refuses it until a larger block is recorded here).
COMMENT ON COLUMN queue_checkpoint.last_seq IS 'main-line numbers reserved: every number issued is <= this';
COMMENT ON COLUMN queue_checkpoint.pre_count IS 'pre-queue numbers reserved: every number issued is <= this';
