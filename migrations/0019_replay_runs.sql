-- Bulk replay (POST .../incoming-webhooks/{wid}/deliveries/replay): one run per call, its
-- deliveries replayed one queue message each; the run counts what they came to, so its progress
-- can be read (GET .../incoming-webhooks/{wid}/replays/{rid}). Retention deletes runs with the
-- history (history_days).
CREATE TABLE replay_runs (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  filters TEXT NOT NULL,          -- JSON: the filters the run was chosen by
  queued INTEGER NOT NULL,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  pending INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,  -- replayed or gone meanwhile, or nothing left to replay
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX replay_runs_by_age ON replay_runs(created_at);
