-- The rate count moves into the delivery's own batch (one round trip less per delivery): the
-- count goes up with the delivery's writes, and this trigger refuses the batch once the window
-- holds more than the webhook's rate_limit, rolling the count back with everything else.
CREATE TRIGGER rate_windows_limit BEFORE UPDATE ON rate_windows
WHEN NEW.count > (SELECT rate_limit FROM incoming_webhooks WHERE id = NEW.webhook_id)
BEGIN
  SELECT RAISE(ABORT, 'hookmap:rate_limited');
END;
