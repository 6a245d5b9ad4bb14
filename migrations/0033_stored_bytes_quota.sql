-- A community's storage quota (hookmap_core::quota::Quota::StoredBytes): the bytes its own
-- database may hold before it refuses new deliveries. NULL: the deployment's default.
ALTER TABLE community_quotas ADD COLUMN stored_bytes INTEGER;
