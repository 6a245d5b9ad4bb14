-- Edge URL tokens leave D1 in clear. The edge looks a webhook up by the SHA-256 digest of its token
-- (token_digest; the KV cache is keyed by it too), and the management API shows the URL from a
-- copy sealed under SECRETS_KEY (token_sealed), like every stored secret. A copy of D1 or KV then
-- reveals no URL.
--
-- SQL cannot compute SHA-256 or seal, so rows written before this migration keep their token until
-- the worker first looks them up by it: it then writes the digest and the seal and clears the
-- token (hooks.rs). The token column stays, nullable, for them alone.
--
-- SQLite cannot drop NOT NULL from a column, so the table is rebuilt. The triggers that name it
-- are dropped first and made again as they were (0002, 0006): renaming a table onto a name that
-- triggers reference is refused while those triggers point at a dropped table.
DROP TRIGGER deliveries_success_guard;
DROP TRIGGER rate_windows_limit;

CREATE TABLE incoming_webhooks_new (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  token TEXT UNIQUE,               -- only rows from before 0008, until their first lookup
  token_digest TEXT UNIQUE,        -- hex SHA-256 of the edge URL's token
  token_sealed TEXT,               -- the token sealed under SECRETS_KEY, to show the URL to admins
  name TEXT NOT NULL,
  location TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  api_key_digest TEXT,
  encryption TEXT,
  mapping TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  signing_secret TEXT,
  rate_limit INTEGER NOT NULL DEFAULT 600,
  CHECK (token IS NOT NULL OR (token_digest IS NOT NULL AND token_sealed IS NOT NULL))
);

INSERT INTO incoming_webhooks_new (id, community_id, token, name, location, enabled, api_key_digest,
    encryption, mapping, version, created_at, updated_at, signing_secret, rate_limit)
  SELECT id, community_id, token, name, location, enabled, api_key_digest,
    encryption, mapping, version, created_at, updated_at, signing_secret, rate_limit
  FROM incoming_webhooks;

DROP TABLE incoming_webhooks;
ALTER TABLE incoming_webhooks_new RENAME TO incoming_webhooks;
CREATE INDEX incoming_webhooks_by_community ON incoming_webhooks(community_id);

CREATE TRIGGER deliveries_success_guard BEFORE INSERT ON deliveries
WHEN NEW.status = 'success'
BEGIN
  SELECT RAISE(ABORT, 'hookmap:webhook_gone')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id);
  SELECT RAISE(ABORT, 'hookmap:webhook_disabled')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id AND enabled = 1);
  SELECT RAISE(ABORT, 'hookmap:stale_webhook')
   WHERE NOT EXISTS (SELECT 1 FROM incoming_webhooks WHERE id = NEW.webhook_id AND version = NEW.webhook_version);
  SELECT RAISE(ABORT, 'hookmap:unknown_member') WHERE NEW.user_id IS NULL AND NEW.member IS NOT NULL;
END;

CREATE TRIGGER rate_windows_limit BEFORE UPDATE ON rate_windows
WHEN NEW.count > (SELECT rate_limit FROM incoming_webhooks WHERE id = NEW.webhook_id)
BEGIN
  SELECT RAISE(ABORT, 'hookmap:rate_limited');
END;
