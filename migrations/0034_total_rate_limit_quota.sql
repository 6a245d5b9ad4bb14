-- A community's total rate (hookmap_core::quota::Quota::TotalRateLimit): the sum of its incoming
-- webhooks' rate_limit, which its one database must sustain. NULL: the deployment's default.
ALTER TABLE community_quotas ADD COLUMN total_rate_limit INTEGER;
