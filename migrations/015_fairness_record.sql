-- The fairness record (issue #10): what GET /api/v1/campaigns/{id}/fairness publishes, so anyone
-- can check an opening afterwards (src/waiting-room/fairness*.ts; docs/ARCHITECTURE.md, Fairness
-- record).
--
-- The pre-queue shuffle's seed, committed before the opening. One row per campaign, drawn once —
-- by the first of the admission leader's tick before the opening and the first pre-queue join,
-- on whichever node: one INSERT … ON CONFLICT DO NOTHING, then a read of what was decided, so two
-- nodes racing keep one seed. From then on the record publishes
-- SHA-256("yeyak-shuffle-v1:" || campaign_id || ":" || seed || ":" || nonce) (UTF-8, seed in
-- decimal, nonce in lowercase hex); seed and nonce are revealed only once the pre-queue is frozen.
-- The 128-bit nonce is what makes the commitment binding and hiding: the seed alone has 31 bits,
-- and a hash of 2^31 candidates is inverted in seconds. At the opening the shuffle takes this seed
-- (queue_checkpoint.shuffle_seed is written from it).
CREATE TABLE queue_shuffle_commitment (
  campaign_id  text PRIMARY KEY REFERENCES campaign (id) ON DELETE CASCADE,
  seed         bigint NOT NULL CHECK (seed BETWEEN 1 AND 2147483647),
  nonce        text NOT NULL CHECK (nonce ~ '^[0-9a-f]{32}$'),
  committed_at timestamptz NOT NULL
);

-- One row per admitted place, written when its pass is first claimed (its first admitted status
-- poll), in batches by the node that served it: the ticket's signed facts (pre-queue or not, its
-- number, when it joined, the ETA it was shown) beside the position that node computed and acted
-- on. Admission order is position order (the counter passes positions in order), join order is
-- the ticket's number after the shuffle: the record compares the two (inversions) and the ETA
-- shown with the wait had. No person, device or ticket is kept. A position is claimed once; a
-- second claim of it (a Redis line that lost its active set) keeps the first row.
CREATE TABLE queue_admission (
  campaign_id text NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
  position    bigint NOT NULL CHECK (position >= 1),
  pre         boolean NOT NULL,
  seq         bigint NOT NULL CHECK (seq >= 1),
  joined_at   timestamptz NOT NULL,
  shown_eta_s integer CHECK (shown_eta_s >= 0),
  claimed_at  timestamptz NOT NULL,
  PRIMARY KEY (campaign_id, position)
);
