-- Outgoing webhooks: subscriptions to the platform's events, the events, one delivery per
-- (event, subscription), and one log row per attempt.

CREATE TABLE webhook_subscriptions (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  events TEXT NOT NULL,            -- JSON array of event types
  channel_id TEXT,                 -- message.posted only from this channel, when set
  is_active INTEGER NOT NULL DEFAULT 1,
  secret TEXT NOT NULL,            -- whsec_...: signs every delivery; shown once
  previous_secret TEXT,            -- after a rotation, also signs until previous_secret_until
  previous_secret_until TEXT,
  encryption TEXT,                 -- JSON {algorithm, key, iv, fixed_iv}, or NULL
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX subscriptions_by_community ON webhook_subscriptions(community_id);

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,              -- JSON
  created_at TEXT NOT NULL
);

CREATE TABLE outgoing_deliveries (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'success', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX outgoing_by_subscription ON outgoing_deliveries(subscription_id, created_at);

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
  created_at TEXT NOT NULL
);
CREATE INDEX attempts_by_subscription ON outgoing_attempts(subscription_id, seq);
