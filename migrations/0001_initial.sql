-- hookmap schema. Times are RFC 3339 UTC strings written by the worker (the clock lives there).
-- Integrity that must hold under concurrency is enforced here, not in the worker: balances can
-- never go negative (CHECK), an idempotency key is taken once (PRIMARY KEY), and a success is only
-- recorded for a live webhook, at the version the worker planned with, for an existing member
-- (triggers below). A delivery's writes go in one D1 batch, so any of these failing rolls it all back.

CREATE TABLE communities (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,            -- the first characters, so admins can tell keys apart
  key_digest TEXT NOT NULL UNIQUE, -- SHA-256 of the key; the key itself is never stored
  created_at TEXT NOT NULL
);
CREATE INDEX api_keys_by_community ON api_keys(community_id);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  username TEXT NOT NULL,
  xp INTEGER NOT NULL DEFAULT 0 CONSTRAINT xp_not_negative CHECK (xp >= 0),
  coins INTEGER NOT NULL DEFAULT 0 CONSTRAINT coins_not_negative CHECK (coins >= 0),
  created_at TEXT NOT NULL,
  UNIQUE (community_id, email),
  UNIQUE (community_id, username)
);

CREATE TABLE user_fields (
  community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('number', 'text', 'boolean')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (community_id, key)
);

-- Values have no declared type, so SQLite stores them exactly as bound (no affinity would turn the
-- text "007" into 7): a number for number fields, text for text, 0/1 for boolean.
CREATE TABLE user_field_values (
  community_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  field_key TEXT NOT NULL,
  value,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (user_id, field_key),
  FOREIGN KEY (community_id, field_key) REFERENCES user_fields(community_id, key) ON DELETE CASCADE
);

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
  currency TEXT NOT NULL CHECK (currency IN ('xp', 'coins')),
  delta INTEGER NOT NULL,
  balance_after INTEGER,
  action TEXT NOT NULL,            -- the webhook's name
  delivery_id TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX gamification_logs_by_user ON gamification_logs(community_id, user_id);

CREATE TABLE incoming_webhooks (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  token TEXT NOT NULL UNIQUE,      -- the unguessable part of the edge URL
  name TEXT NOT NULL,
  location TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  api_key_digest TEXT,             -- NULL: the edge URL needs no API key
  encryption TEXT,                 -- JSON {algorithm, key, iv}; NULL: plain JSON bodies
  mapping TEXT,                    -- JSON; NULL: deliveries are caught and left pending
  version INTEGER NOT NULL DEFAULT 1, -- bumped by every change; edge caches are keyed on it
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX incoming_webhooks_by_community ON incoming_webhooks(community_id);

CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,            -- creation order (ms timestamp * 1000 + random), for newest-first
  community_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  webhook_version INTEGER,
  status TEXT NOT NULL CHECK (status IN ('success', 'failed', 'pending')),
  http_status INTEGER NOT NULL,
  error_code TEXT,
  error_message TEXT,
  error_at TEXT,
  user_id TEXT,
  idempotency_key TEXT,
  payload TEXT,                    -- the decrypted JSON, when it could be decoded
  effects TEXT,                    -- JSON array of the applied (or, for failures, planned) effects
  replay_of TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX deliveries_by_webhook ON deliveries(webhook_id, seq);
CREATE INDEX deliveries_by_webhook_status ON deliveries(webhook_id, status, seq);

-- A key is taken by the first successful delivery that carries it, in that delivery's batch.
CREATE TABLE idempotency_keys (
  webhook_id TEXT NOT NULL,
  key TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (webhook_id, key)
);

-- The guards of a successful delivery, checked inside its batch so that they are consistent with
-- the writes: a webhook deleted, disabled or changed after the worker read it (edge caches are
-- eventually consistent) and a member that does not exist abort the whole batch.
CREATE TRIGGER deliveries_success_guard BEFORE INSERT ON deliveries
WHEN NEW.status = 'success'
BEGIN
  SELECT RAISE(ABORT, 'hookmap:webhook_gone')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id);
  SELECT RAISE(ABORT, 'hookmap:webhook_disabled')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id AND enabled = 1);
  SELECT RAISE(ABORT, 'hookmap:stale_webhook')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id AND version = NEW.webhook_version);
  SELECT RAISE(ABORT, 'hookmap:unknown_member') WHERE NEW.user_id IS NULL;
END;
