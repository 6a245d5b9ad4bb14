-- Per-community quotas. Defaults come from the worker's QUOTA_* vars; a row here overrides them for
-- one community (NULL: the default). Only the admin token writes this table.
CREATE TABLE community_quotas (
  community_id TEXT PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
  incoming_webhooks INTEGER,       -- incoming webhooks the community may have
  subscriptions INTEGER,           -- outgoing webhook subscriptions it may have
  events_per_minute INTEGER,       -- events it may publish through the API per clock minute
  failed_payload_bytes INTEGER,    -- payload bytes kept with a failed delivery
  max_rate_limit INTEGER,          -- the highest rate_limit one of its webhooks may have
  updated_at TEXT NOT NULL
);

-- Events published through the API, counted per community in one-minute windows (as rate_windows
-- counts deliveries per webhook).
CREATE TABLE event_windows (
  community_id TEXT NOT NULL,
  window INTEGER NOT NULL,         -- minutes since the epoch
  count INTEGER NOT NULL,
  PRIMARY KEY (community_id, window)
);

-- A failed delivery keeps at most failed_payload_bytes of its payload; 1 marks a payload cut short
-- (no longer JSON: the API shows it as text).
ALTER TABLE deliveries ADD COLUMN payload_truncated INTEGER NOT NULL DEFAULT 0;
