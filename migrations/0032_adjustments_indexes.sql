-- A member's adjustments are listed newest first (GET .../users/{uid}/adjustments), and retention
-- deletes them, with their idempotency keys, after the community's history_days, oldest first
-- (src/retention.rs), as it does deliveries: without these both read the whole table.
CREATE INDEX adjustments_by_member ON adjustments(community_id, user_id, created_at);
CREATE INDEX adjustments_by_age ON adjustments(created_at);
