-- A rotated signing secret keeps verifying for a while (24 hours unless the rotation says
-- otherwise), so that a sender who has not yet switched to the new secret is not locked out:
-- the secret it replaced, sealed like signing_secret, and until when it verifies (ISO 8601, UTC).
-- A change of scheme or its settings, or the signature removed, clears both.
ALTER TABLE incoming_webhooks ADD COLUMN previous_signing_secret TEXT;
ALTER TABLE incoming_webhooks ADD COLUMN previous_secret_until TEXT;
