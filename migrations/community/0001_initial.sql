-- A community's own database: the SQLite of its Durable Object (ARCHITECTURE.md, "The data
-- plane"). Everything its traffic reads and writes lives here, one writer per community; the
-- directory (D1, ../*.sql) keeps communities, API keys, webhook and subscription settings as the
-- API shows them, and quotas. Tables keep the directory's shape, `community_id` included (one
-- value per object), so that a statement runs the same on either store while the data moves, and
-- the move copies rows as they are. Applied by the object itself, in order, when it starts
-- (hookmap_core::community_schema); wrangler does not read this folder. Refusals are raised as
-- `hookmap:<name>`, the names of hookmap_core::StorageRefusal, as D1's triggers raise them.

-- The catalog: what mappings may name. xp and coins are written when the object is set up for its
-- community (the object learns its community's id then).
CREATE TABLE currencies (
  community_id TEXT NOT NULL,
  key TEXT NOT NULL,
  name TEXT NOT NULL,
  built_in INTEGER NOT NULL DEFAULT 0,  -- 1 for xp and coins: they cannot be deleted
  created_at TEXT NOT NULL,
  PRIMARY KEY (community_id, key)
);

CREATE TABLE user_fields (
  community_id TEXT NOT NULL,
  key TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('number', 'text', 'boolean')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (community_id, key)
);

CREATE TABLE event_types (
  community_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  schema TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (community_id, name)
);

CREATE TABLE channels (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('text', 'forum')),
  created_at TEXT NOT NULL,
  UNIQUE (community_id, name)
);

-- The community's webhooks and subscriptions as its traffic sees them: a copy of the columns a
-- delivery checks and an event fans out by, written by the API in the request that changes the
-- setting, before it answers. The settings themselves stay in the directory.
CREATE TABLE incoming_webhooks (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  rate_limit INTEGER NOT NULL
);

CREATE TABLE webhook_subscriptions (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  events TEXT NOT NULL,            -- JSON array of event types
  channel_id TEXT,                 -- message.posted only from this channel, when set
  is_active INTEGER NOT NULL
);

-- Members.
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  email TEXT NOT NULL,
  username TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by_delivery TEXT,
  UNIQUE (community_id, email),
  UNIQUE (community_id, username)
);
CREATE INDEX users_created_by_deliveries ON users(community_id, created_at)
  WHERE created_by_delivery IS NOT NULL;

CREATE TABLE balances (
  community_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  currency TEXT NOT NULL,
  amount INTEGER NOT NULL DEFAULT 0 CONSTRAINT balance_not_negative CHECK (amount >= 0),
  PRIMARY KEY (user_id, currency),
  FOREIGN KEY (community_id, currency) REFERENCES currencies(community_id, key) ON DELETE CASCADE
);
CREATE INDEX balances_by_currency ON balances(community_id, currency);
CREATE TRIGGER balances_known_currency BEFORE INSERT ON balances
BEGIN
  SELECT RAISE(ABORT, 'hookmap:unknown_currency')
   WHERE NOT EXISTS (SELECT 1 FROM currencies WHERE community_id = NEW.community_id AND key = NEW.currency);
END;

CREATE TABLE user_field_values (
  community_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  field_key TEXT NOT NULL,
  value,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (user_id, field_key),
  FOREIGN KEY (community_id, field_key) REFERENCES user_fields(community_id, key) ON DELETE CASCADE
);
CREATE TRIGGER user_field_values_finite_insert BEFORE INSERT ON user_field_values
WHEN typeof(NEW.value) = 'real' AND abs(NEW.value) > 1.7976931348623157e308
BEGIN
  SELECT RAISE(ABORT, 'hookmap:field_out_of_range');
END;
CREATE TRIGGER user_field_values_finite_update BEFORE UPDATE ON user_field_values
WHEN typeof(NEW.value) = 'real' AND abs(NEW.value) > 1.7976931348623157e308
BEGIN
  SELECT RAISE(ABORT, 'hookmap:field_out_of_range');
END;

CREATE TABLE user_field_histories (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  field_key TEXT NOT NULL,
  old_value,
  new_value,
  source TEXT NOT NULL,            -- e.g. "webhook:<name>"
  delivery_id TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX user_field_histories_by_user ON user_field_histories(community_id, user_id, field_key);

CREATE TABLE gamification_logs (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  currency TEXT NOT NULL,
  delta INTEGER NOT NULL,
  balance_after INTEGER,
  action TEXT NOT NULL,            -- the webhook's name
  delivery_id TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX gamification_logs_by_user ON gamification_logs(community_id, user_id);

CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,            -- creation order, as for deliveries
  community_id TEXT NOT NULL,
  channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  topic TEXT,                      -- the forum topic; required in forum channels
  text TEXT NOT NULL,
  webhook_id TEXT,
  delivery_id TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX messages_by_channel ON messages(channel_id, seq);
CREATE TRIGGER messages_channel_guard BEFORE INSERT ON messages
BEGIN
  SELECT RAISE(ABORT, 'hookmap:unknown_channel')
   WHERE NOT EXISTS (SELECT 1 FROM channels WHERE id = NEW.channel_id AND community_id = NEW.community_id);
  SELECT RAISE(ABORT, 'hookmap:topic_required')
   WHERE NEW.topic IS NULL AND EXISTS (SELECT 1 FROM channels WHERE id = NEW.channel_id AND type = 'forum');
END;

-- An admin's adjustments of a member by hand, written with the balances they move; as
-- ../0030_adjustments.sql.
CREATE TABLE adjustments (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  reason TEXT NOT NULL,
  effects TEXT NOT NULL,
  idempotency_key TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (community_id, idempotency_key)
);

-- Incoming deliveries, each applied exactly once.
CREATE TABLE deliveries (
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
  member TEXT,                     -- the identifier a delivery held for a member names
  message_id TEXT,
  payload_truncated INTEGER NOT NULL DEFAULT 0,
  payload_expired INTEGER NOT NULL DEFAULT 0,
  replayed_as TEXT,
  signed_guard TEXT,
  headers TEXT,
  member_by TEXT
);
CREATE INDEX deliveries_by_age ON deliveries(created_at);
CREATE INDEX deliveries_by_community ON deliveries(community_id, seq);
CREATE INDEX deliveries_by_webhook ON deliveries(webhook_id, seq);
CREATE INDEX deliveries_by_webhook_status ON deliveries(webhook_id, status, seq);
CREATE INDEX deliveries_held ON deliveries(community_id, member, seq)
  WHERE status = 'pending' AND error_code = 'member_unknown' AND replayed_as IS NULL;
-- A delivery that applies does so only under the webhook's settings as they are now.
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
CREATE TRIGGER deliveries_unapplied_guard BEFORE INSERT ON deliveries
WHEN NEW.status NOT IN ('success', 'filtered')
BEGIN
  SELECT RAISE(ABORT, 'hookmap:stale_webhook')
   WHERE EXISTS (SELECT 1 FROM incoming_webhooks
                  WHERE id = NEW.webhook_id AND version <> NEW.webhook_version);
END;

-- An incoming webhook's health (hookmap_core::health), written in each counted delivery's batch;
-- as ../0029_incoming_webhook_health.sql, with its row dropped when the webhook's copy is.
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
CREATE TRIGGER incoming_webhook_health_gone AFTER DELETE ON incoming_webhooks
BEGIN
  DELETE FROM incoming_webhook_health WHERE webhook_id = OLD.id;
END;

CREATE TABLE idempotency_keys (
  webhook_id TEXT NOT NULL,
  key TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (webhook_id, key)
);

-- Per-minute counts: deliveries a webhook accepted, and unauthenticated failures it recorded.
CREATE TABLE rate_windows (
  webhook_id TEXT NOT NULL,
  window INTEGER NOT NULL,         -- minutes since the epoch
  count INTEGER NOT NULL,
  PRIMARY KEY (webhook_id, window)
);
CREATE TRIGGER rate_windows_limit BEFORE UPDATE ON rate_windows
WHEN NEW.count > (SELECT rate_limit FROM incoming_webhooks WHERE id = NEW.webhook_id)
BEGIN
  SELECT RAISE(ABORT, 'hookmap:rate_limited');
END;

CREATE TABLE failure_windows (
  webhook_id TEXT NOT NULL,
  window INTEGER NOT NULL,         -- minutes since the epoch
  count INTEGER NOT NULL,
  PRIMARY KEY (webhook_id, window)
);
CREATE TRIGGER failure_windows_limit BEFORE UPDATE ON failure_windows
WHEN NEW.count > 30
BEGIN
  SELECT RAISE(ABORT, 'hookmap:too_many_failures');
END;

CREATE TABLE replay_runs (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  filters TEXT NOT NULL,          -- JSON: the filters the run was chosen by
  queued INTEGER NOT NULL,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  pending INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,  -- replayed or gone meanwhile, or nothing left to replay
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX replay_runs_by_age ON replay_runs(created_at);

-- Outgoing: events, written in the transaction that caused them, and their deliveries.
CREATE TABLE events (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,              -- JSON
  created_at TEXT NOT NULL
);
CREATE INDEX events_by_age ON events(created_at);

CREATE TABLE event_windows (
  community_id TEXT NOT NULL,
  window INTEGER NOT NULL,         -- minutes since the epoch
  count INTEGER NOT NULL,
  cap INTEGER,
  PRIMARY KEY (community_id, window)
);
CREATE TRIGGER event_windows_cap_on_insert BEFORE INSERT ON event_windows
WHEN NEW.cap IS NOT NULL AND NEW.count > NEW.cap
BEGIN
  SELECT RAISE(ABORT, 'hookmap:events_quota');
END;
CREATE TRIGGER event_windows_cap_on_update BEFORE UPDATE ON event_windows
WHEN NEW.cap IS NOT NULL AND NEW.count > NEW.cap
BEGIN
  SELECT RAISE(ABORT, 'hookmap:events_quota');
END;

CREATE TABLE outgoing_deliveries (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'success', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  resent_as TEXT,
  forced INTEGER NOT NULL DEFAULT 0 CHECK (forced BETWEEN 0 AND 1)
);
CREATE INDEX outgoing_by_subscription ON outgoing_deliveries(subscription_id, created_at);
CREATE INDEX outgoing_deliveries_by_age ON outgoing_deliveries(created_at);
CREATE INDEX outgoing_pending_by_due
  ON outgoing_deliveries(COALESCE(next_attempt_at, created_at)) WHERE status = 'pending';

CREATE TABLE outgoing_attempts (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,            -- creation order, for newest-first logs
  community_id TEXT NOT NULL,
  subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
  delivery_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event TEXT NOT NULL,             -- the event type
  attempt INTEGER NOT NULL,
  status_code INTEGER,             -- NULL when there was no answer
  response_time_ms INTEGER NOT NULL,
  error TEXT,
  created_at TEXT NOT NULL,
  request_headers TEXT,
  request_body TEXT,
  response_headers TEXT,
  response_body TEXT,
  response_truncated INTEGER NOT NULL DEFAULT 0,
  exchange_expired INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attempts_by_subscription ON outgoing_attempts(subscription_id, seq);
CREATE INDEX outgoing_attempts_by_age ON outgoing_attempts(created_at);
CREATE INDEX outgoing_attempts_exchange_by_age ON outgoing_attempts(created_at) WHERE exchange_expired = 0;
