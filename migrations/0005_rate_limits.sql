-- Per-webhook rate limits: deliveries per minute, counted in fixed one-minute windows in D1
-- (consistent, unlike KV, so every location sees the same count).
ALTER TABLE incoming_webhooks ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 600;

CREATE TABLE rate_windows (
  webhook_id TEXT NOT NULL,
  window INTEGER NOT NULL,         -- minutes since the epoch
  count INTEGER NOT NULL,
  PRIMARY KEY (webhook_id, window)
);
