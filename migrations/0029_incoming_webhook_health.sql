-- Alerts (issue 31): an incoming webhook is failing after failing_in_a_row counted failures one
-- after the other, or when more than half of its last failing_window counted deliveries failed
-- (hookmap_core::health). The thresholds are the community's, as quotas are: NULL, the
-- deployment's QUOTA_FAILING_* default.
ALTER TABLE community_quotas ADD COLUMN failing_in_a_row INTEGER;
ALTER TABLE community_quotas ADD COLUMN failing_window INTEGER;

-- One row per webhook that has had a counted delivery, written by the statement that records
-- each one (src/health.rs), in the delivery's own batch: concurrent deliveries lose no outcome,
-- and the state changes once per change, which is when the alert goes out. `recent` holds the last
-- counted outcomes, oldest first, 'f' failed and 's' succeeded, at most 100 (the largest window).
-- `failing_since` and `failing_reason` stay after a recovery: the recovered event names them.
CREATE TABLE incoming_webhook_health (
  webhook_id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  failures_in_a_row INTEGER NOT NULL DEFAULT 0,
  recent TEXT NOT NULL DEFAULT '',
  last_error TEXT,
  failing INTEGER NOT NULL DEFAULT 0 CHECK (failing BETWEEN 0 AND 1),
  failing_since TEXT,
  failing_reason TEXT CHECK (failing_reason IN ('failures_in_a_row', 'failure_rate')),
  recovered_at TEXT,
  updated_at TEXT NOT NULL
);

-- Not a foreign key: a failure recorded for a webhook deleted a moment ago must not fail its batch.
CREATE TRIGGER incoming_webhook_health_gone AFTER DELETE ON incoming_webhooks
BEGIN
  DELETE FROM incoming_webhook_health WHERE webhook_id = OLD.id;
END;
