-- The encryption algorithm in clear beside the sealed setting, so that reading webhooks and
-- subscriptions shows it without opening every row's sealed key. It is no secret: the API shows
-- it to whoever may read the row. A subscription also keeps whether its IV is fixed, which the
-- API shows too. The worker writes these columns with the sealed setting, and together with it.
ALTER TABLE incoming_webhooks ADD COLUMN encryption_algorithm TEXT;
ALTER TABLE webhook_subscriptions ADD COLUMN encryption_algorithm TEXT;
ALTER TABLE webhook_subscriptions ADD COLUMN encryption_fixed_iv INTEGER;

-- Rows written before this migration. A setting stored unsealed (written before secrets were
-- sealed) is plain JSON, readable here: it is backfilled. A sealed one cannot be read in SQL: its
-- columns stay NULL, and the worker opens the sealed setting of such a row only (see
-- `stored::InClear`), until the setting is next written.
UPDATE incoming_webhooks
   SET encryption_algorithm = json_extract(encryption, '$.algorithm')
 WHERE encryption IS NOT NULL AND encryption NOT LIKE 'sealed:%' AND json_valid(encryption);
UPDATE webhook_subscriptions
   SET encryption_algorithm = json_extract(encryption, '$.algorithm'),
       encryption_fixed_iv = COALESCE(json_extract(encryption, '$.fixed_iv'), 0)
 WHERE encryption IS NOT NULL AND encryption NOT LIKE 'sealed:%' AND json_valid(encryption);
