-- Two small additions of issue #9: staff sign-in, and the live feed's shuffle time.
--
-- Staff sign-in for the pages: a staff token is exchanged for a sealed httpOnly cookie
-- (src/staff/session.ts), valid 8 h and re-checked against the staff row on every request. Logging
-- out revokes the cookie's session id here, so the cookie (or a copy of it) is refused on every
-- node at once, not only cleared in one browser. A row lives until the cookie would have expired
-- anyway; logouts delete the rows past that (one row per logout: a handful a day).
CREATE TABLE staff_session_revocation (
  sid        text PRIMARY KEY CHECK (length(sid) BETWEEN 16 AND 64),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz NOT NULL
);
CREATE INDEX staff_session_revocation_expires ON staff_session_revocation (expires_at);

-- The operator's live feed (src/operations/live.ts) shows when the pre-queue was shuffled. The
-- checkpoint's one statement (src/waiting-room/sql.ts writeCheckpoint) sets it once, with the
-- first write that records the seed, as it sets the seed once. Lines shuffled before this file
-- take the time their shuffle was audited.
ALTER TABLE queue_checkpoint ADD COLUMN shuffled_at timestamptz;
UPDATE queue_checkpoint q
   SET shuffled_at = coalesce(
         (SELECT min(a.at) FROM audit_log a WHERE a.action = 'queue.shuffled' AND a.detail ->> 'campaignId' = q.campaign_id),
         q.updated_at)
 WHERE q.shuffle_seed IS NOT NULL;
