-- Verified identity (issue #7). A person is who the verification provider vouches for: the CI
-- (연계정보, the same for one person at every provider), stored only as its keyed hash
-- (HMAC-SHA256 with YEYAK_RRN_SECRET, src/identity/registry.ts hashCi), never in clear. The RRN a
-- citizen types must be the one the resident registry holds for that CI.

-- The person's key. Unique: one CI is one person row; NULL only on rows from before this migration.
-- Backfill rule: existing rows keep ci_hash NULL (a CI cannot be derived from stored data); the
-- first verification or proxy/agent naming whose CI the registry confirms for the row's RRN adopts
-- the row (one conditional UPDATE … WHERE ci_hash IS NULL), so their bookings stay theirs.
ALTER TABLE person ADD COLUMN ci_hash text UNIQUE;

-- The synthetic resident registry of the sandbox: an RRN is bound to the first CI that claims it,
-- and a CI to one RRN. Both keys are unique, so one conditional INSERT (ON CONFLICT DO NOTHING)
-- decides; two CIs racing for one RRN → exactly one binding. Hashes only: no RRN, no CI, no name.
CREATE TABLE resident_binding (
  rrn_hash text PRIMARY KEY,
  ci_hash  text NOT NULL UNIQUE,
  bound_at timestamptz NOT NULL
);
