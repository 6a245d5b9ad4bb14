-- Requests whose sender was not proved (a wrong API key or signature; on a webhook that checks
-- neither, a body that fails before planning) are counted here, not in rate_windows: an outsider
-- who knows a URL must not spend the real sender's rate limit. 30 of them a minute are recorded
-- in the history; beyond that they are answered 429 too_many_failures and recorded nowhere.
CREATE TABLE failure_windows (
  webhook_id TEXT NOT NULL,
  window INTEGER NOT NULL,         -- minutes since the epoch
  count INTEGER NOT NULL,
  PRIMARY KEY (webhook_id, window)
);

CREATE TRIGGER failure_windows_limit BEFORE UPDATE ON failure_windows
WHEN NEW.count > 30
BEGIN
  SELECT RAISE(ABORT, 'hookmap:too_many_failures');
END;
