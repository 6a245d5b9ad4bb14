-- Rotating a community API key with a grace (POST .../api-keys/{kid}/rotate): the key it replaced
-- keeps working until previous_key_until, so the systems holding it can switch without an outage;
-- then it stops. Digests only, as for the key itself; a second rotation drops the first's.
ALTER TABLE api_keys ADD COLUMN previous_key_digest TEXT;
ALTER TABLE api_keys ADD COLUMN previous_key_until TEXT;
ALTER TABLE api_keys ADD COLUMN rotated_at TEXT;
CREATE INDEX api_keys_by_previous_digest ON api_keys(previous_key_digest) WHERE previous_key_digest IS NOT NULL;
