-- Paddle signs its notifications (Paddle-Signature: ts=...;h1=...): 'paddle' joins the schemes an
-- incoming webhook may verify (hookmap_core::schemes). SQLite cannot widen a CHECK in place, so
-- the table is rebuilt as it stands after 0025, with its index; the triggers that name it are
-- dropped first and made again as they are (0008, 0023): renaming a table onto a name that
-- triggers reference is refused while those triggers point at a dropped table.
DROP TRIGGER deliveries_success_guard;
DROP TRIGGER deliveries_unapplied_guard;
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
  encryption_algorithm TEXT,
  signature_scheme TEXT
    CHECK (signature_scheme IN ('standard_webhooks', 'stripe', 'shopify', 'github', 'woocommerce', 'paddle', 'hmac')),
  signature_settings TEXT,
  api_key_in TEXT NOT NULL DEFAULT 'header' CHECK (api_key_in IN ('header', 'query')),
  previous_signing_secret TEXT,
  previous_secret_until TEXT,
  on_unknown_member TEXT NOT NULL DEFAULT 'fail'
    CHECK (on_unknown_member IN ('fail', 'hold', 'create')),
  CHECK (token IS NOT NULL OR (token_digest IS NOT NULL AND token_sealed IS NOT NULL))
);

INSERT INTO incoming_webhooks_new (id, community_id, token, token_digest, token_sealed, name,
    location, enabled, api_key_digest, encryption, mapping, version, created_at, updated_at,
    signing_secret, rate_limit, encryption_algorithm, signature_scheme, signature_settings,
    api_key_in, previous_signing_secret, previous_secret_until, on_unknown_member)
  SELECT id, community_id, token, token_digest, token_sealed, name,
    location, enabled, api_key_digest, encryption, mapping, version, created_at, updated_at,
    signing_secret, rate_limit, encryption_algorithm, signature_scheme, signature_settings,
    api_key_in, previous_signing_secret, previous_secret_until, on_unknown_member
  FROM incoming_webhooks;

DROP TABLE incoming_webhooks;
ALTER TABLE incoming_webhooks_new RENAME TO incoming_webhooks;
CREATE INDEX incoming_webhooks_by_community ON incoming_webhooks(community_id);

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

CREATE TRIGGER rate_windows_limit BEFORE UPDATE ON rate_windows
WHEN NEW.count > (SELECT rate_limit FROM incoming_webhooks WHERE id = NEW.webhook_id)
BEGIN
  SELECT RAISE(ABORT, 'hookmap:rate_limited');
END;
