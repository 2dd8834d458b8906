-- Rejected messages larger than dlq_max_payload_bytes keep only their first bytes (in `raw` and
-- in the DLQ message, whose producer has a message size limit); `original_bytes` then records
-- the size they had. NULL when `raw` is complete.
ALTER TABLE ingest_rejects ADD COLUMN IF NOT EXISTS original_bytes bigint;
