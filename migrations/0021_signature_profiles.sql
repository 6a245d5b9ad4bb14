-- Incoming webhooks verify their senders' own signature schemes (Stripe, Shopify, GitHub,
-- WooCommerce, a generic HMAC) beside Standard Webhooks, and may take their API key in the URL for
-- senders that cannot set a header. The sealed secret stays in signing_secret whatever the scheme;
-- the scheme's settings (a generic HMAC's header, hash, encoding, template) are JSON, no secret.
ALTER TABLE incoming_webhooks ADD COLUMN signature_scheme TEXT
  CHECK (signature_scheme IN ('standard_webhooks', 'stripe', 'shopify', 'github', 'woocommerce', 'hmac'));
ALTER TABLE incoming_webhooks ADD COLUMN signature_settings TEXT;
ALTER TABLE incoming_webhooks ADD COLUMN api_key_in TEXT NOT NULL DEFAULT 'header'
  CHECK (api_key_in IN ('header', 'query'));
-- A delivery that did not apply keeps its signature's replay guard (hookmap_core::profile), so
-- that replaying it claims the guard as an applied delivery would.
ALTER TABLE deliveries ADD COLUMN signed_guard TEXT;
-- Every secret set before this was a Standard Webhooks secret.
UPDATE incoming_webhooks SET signature_scheme = 'standard_webhooks' WHERE signing_secret IS NOT NULL;
