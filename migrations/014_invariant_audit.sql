-- The invariant auditor's latest round (src/operations/audit.ts, issue #10): one row, written by
-- the node that ran the round, under the auditor's advisory lock, and read by every node (its
-- gauges, GET /api/v1/admin/audit). A node whose timer fires finds a round younger than the
-- interval here and runs none, so N nodes run one round per interval between them, not N.
-- The report holds check names, counts and example ids (booking numbers, slot ids, supply ids,
-- waiting-room positions): never a name, phone or RRN hash.
CREATE TABLE invariant_audit_run (
  id      smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  ran_at  timestamptz NOT NULL,
  node    text NOT NULL,
  ok      boolean NOT NULL,
  report  jsonb NOT NULL
);
