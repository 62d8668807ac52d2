-- Uploaded vaccination records are personal data (a person's RRN hash, doses and their days):
-- the retention job deletes them `YEYAK_VACCINATION_RECORD_RETENTION_MS` after their upload
-- (src/operations/retention.ts). This index finds each batch without a scan of the table.
CREATE INDEX vaccination_record_uploaded ON vaccination_record (uploaded_at);
