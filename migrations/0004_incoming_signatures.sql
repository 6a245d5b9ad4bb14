-- An incoming webhook may require Standard Webhooks signatures: its signing secret (whsec_...),
-- sealed under SECRETS_KEY like every stored secret.
ALTER TABLE incoming_webhooks ADD COLUMN signing_secret TEXT;
