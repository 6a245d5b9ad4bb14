-- What each outgoing attempt sent and what the subscriber answered, for the attempt's log entry
-- (GET .../webhooks/{sid}/logs/{lid}): the body as sent (sealed when the subscription encrypts)
-- and its headers, and the answer's headers and first 4 KiB. Retention drops these with the
-- payloads (payload_days), keeping the row (exchange_expired = 1).
ALTER TABLE outgoing_attempts ADD COLUMN request_headers TEXT;   -- JSON object
ALTER TABLE outgoing_attempts ADD COLUMN request_body TEXT;
ALTER TABLE outgoing_attempts ADD COLUMN response_headers TEXT;  -- JSON object, NULL without an answer
ALTER TABLE outgoing_attempts ADD COLUMN response_body TEXT;     -- the first 4 KiB, as UTF-8 text
ALTER TABLE outgoing_attempts ADD COLUMN response_truncated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outgoing_attempts ADD COLUMN exchange_expired INTEGER NOT NULL DEFAULT 0;

-- Retention walks the attempts whose exchange is still kept, oldest first; the ones it dropped
-- leave this index, so a run never rescans them.
CREATE INDEX outgoing_attempts_exchange_by_age ON outgoing_attempts(created_at) WHERE exchange_expired = 0;
