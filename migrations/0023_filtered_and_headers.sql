-- A mapping's filter may turn a delivery away: it is recorded as 'filtered' (with the filter's
-- reason in error_message), applies nothing, and takes its idempotency key as a success does, so
-- a repeat is a duplicate. Each delivery also keeps the request's allow-listed headers (JSON,
-- hookmap_core::headers; never a credential), which a mapping's expressions read, so that replays
-- see exactly what the edge saw. SQLite cannot widen a CHECK in place: the table is rebuilt, with
-- its indexes and triggers.
CREATE TABLE deliveries_new (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  community_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  webhook_version INTEGER,
  status TEXT NOT NULL CHECK (status IN ('success', 'failed', 'pending', 'filtered')),
  http_status INTEGER NOT NULL,
  error_code TEXT,
  error_message TEXT,
  error_at TEXT,
  user_id TEXT,
  idempotency_key TEXT,
  payload TEXT,
  effects TEXT,
  replay_of TEXT,
  created_at TEXT NOT NULL,
  member TEXT,
  message_id TEXT,
  payload_truncated INTEGER NOT NULL DEFAULT 0,
  payload_expired INTEGER NOT NULL DEFAULT 0,
  replayed_as TEXT,
  signed_guard TEXT,
  headers TEXT
);
INSERT INTO deliveries_new (id, seq, community_id, webhook_id, webhook_version, status, http_status,
    error_code, error_message, error_at, user_id, idempotency_key, payload, effects, replay_of,
    created_at, member, message_id, payload_truncated, payload_expired, replayed_as, signed_guard)
  SELECT id, seq, community_id, webhook_id, webhook_version, status, http_status,
    error_code, error_message, error_at, user_id, idempotency_key, payload, effects, replay_of,
    created_at, member, message_id, payload_truncated, payload_expired, replayed_as, signed_guard
  FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_by_webhook ON deliveries(webhook_id, seq);
CREATE INDEX deliveries_by_webhook_status ON deliveries(webhook_id, status, seq);
CREATE INDEX deliveries_by_age ON deliveries(created_at);

-- A filtered delivery takes its key, so it is guarded as a success is (0008).
CREATE TRIGGER deliveries_success_guard BEFORE INSERT ON deliveries
WHEN NEW.status IN ('success', 'filtered')
BEGIN
  SELECT RAISE(ABORT, 'hookmap:webhook_gone')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id);
  SELECT RAISE(ABORT, 'hookmap:webhook_disabled')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id AND enabled = 1);
  SELECT RAISE(ABORT, 'hookmap:stale_webhook')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id AND version = NEW.webhook_version);
  SELECT RAISE(ABORT, 'hookmap:unknown_member') WHERE NEW.user_id IS NULL AND NEW.member IS NOT NULL;
END;

-- As in 0020.
CREATE TRIGGER deliveries_unapplied_guard BEFORE INSERT ON deliveries
WHEN NEW.status NOT IN ('success', 'filtered')
BEGIN
  SELECT RAISE(ABORT, 'hookmap:stale_webhook')
   WHERE EXISTS (SELECT 1 FROM incoming_webhooks
                  WHERE id = NEW.webhook_id AND version <> NEW.webhook_version);
END;
