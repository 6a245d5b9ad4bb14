-- Resends count in the community's events_per_minute (issue 27, item 4), inside the batch that
-- makes them: each statement that counts in event_windows names the limit it counts under (cap),
-- and these triggers refuse the whole batch once the minute's count would pass it, so a refused
-- resend or recover leaves nothing behind (src/outbox/publish.rs, `count_made`).
ALTER TABLE event_windows ADD COLUMN cap INTEGER;

CREATE TRIGGER event_windows_cap_on_insert BEFORE INSERT ON event_windows
WHEN NEW.cap IS NOT NULL AND NEW.count > NEW.cap
BEGIN
  SELECT RAISE(ABORT, 'hookmap:events_quota');
END;

CREATE TRIGGER event_windows_cap_on_update BEFORE UPDATE ON event_windows
WHEN NEW.cap IS NOT NULL AND NEW.count > NEW.cap
BEGIN
  SELECT RAISE(ABORT, 'hookmap:events_quota');
END;

-- 1 marks a delivery made by a forced resend (force: true): at most hookmap_core::resend::
-- FORCED_RESENDS of one event to one subscription in any hour, counted inside the statement that
-- claims the resend.
ALTER TABLE outgoing_deliveries ADD COLUMN forced INTEGER NOT NULL DEFAULT 0 CHECK (forced BETWEEN 0 AND 1);
