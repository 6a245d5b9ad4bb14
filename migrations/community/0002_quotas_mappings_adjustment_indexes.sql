-- The community's quotas as the directory holds them (D1's community_quotas, same shape): the
-- statements a delivery, a publish and retention run read a quota inside their own transaction,
-- here as there. The API writes this copy with every change it makes to the directory's row.
CREATE TABLE community_quotas (
  community_id TEXT PRIMARY KEY,
  incoming_webhooks INTEGER,
  subscriptions INTEGER,
  events_per_minute INTEGER,
  failed_payload_bytes INTEGER,
  max_rate_limit INTEGER,
  updated_at TEXT NOT NULL,
  payload_days INTEGER,
  history_days INTEGER,
  held_deliveries INTEGER,
  members_per_hour INTEGER,
  failing_in_a_row INTEGER,
  failing_window INTEGER
);

-- As D1's migration 0032: a member's adjustments newest first, and retention's oldest first.
CREATE INDEX adjustments_by_member ON adjustments(community_id, user_id, created_at);
CREATE INDEX adjustments_by_age ON adjustments(created_at);

-- Each webhook's mapping, as the directory holds it: a user field or currency a mapping writes
-- is not deleted (api/fields.rs, api/currencies.rs), judged inside the DELETE itself.
ALTER TABLE incoming_webhooks ADD COLUMN mapping TEXT;
