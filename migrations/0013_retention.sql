-- Retention: a cron (wrangler.toml [triggers]) drops each delivery's payload after the community's
-- payload_days and deletes delivery and attempt rows, with their idempotency keys, after its
-- history_days (NULL here: the deployment's QUOTA_* default). Without it nothing was ever deleted,
-- and one sender could fill the database, failing every community's writes.
ALTER TABLE community_quotas ADD COLUMN payload_days INTEGER;
ALTER TABLE community_quotas ADD COLUMN history_days INTEGER;

-- 1 marks a payload dropped by retention: the row stays, the payload is gone for good.
ALTER TABLE deliveries ADD COLUMN payload_expired INTEGER NOT NULL DEFAULT 0;

-- The sweeps walk rows oldest first and stop after a bounded number.
CREATE INDEX deliveries_by_age ON deliveries(created_at);
CREATE INDEX outgoing_deliveries_by_age ON outgoing_deliveries(created_at);
CREATE INDEX outgoing_attempts_by_age ON outgoing_attempts(created_at);
CREATE INDEX events_by_age ON events(created_at);
