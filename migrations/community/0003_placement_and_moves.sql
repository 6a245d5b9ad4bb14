-- Whether this database holds its community's data. 'live': the community was created here, or
-- its data was moved in from the directory (D1) and checked; 'moving': a move is copying it in.
-- No row: a community from before the data plane, whose data is still in D1 until it is moved
-- (README, "Moving an existing deployment"). Only a live database takes deliveries and reads.
-- The community's id is kept for the object's alarm, which runs its chores (retention, overdue
-- outgoing deliveries, held deliveries) and notes when in chores_at.
CREATE TABLE placement (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  community_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('moving', 'live')),
  updated_at TEXT NOT NULL,
  chores_at TEXT
);

-- How far a move has copied each table: the directory's last rowid copied, written in the same
-- transaction as the rows, so that a move stopped anywhere goes on from there.
CREATE TABLE move_progress (
  name TEXT PRIMARY KEY,
  after INTEGER NOT NULL
);

-- A database that holds its community's currencies already was set up here (at creation) before
-- placements were recorded: its data lives here.
INSERT INTO placement (id, community_id, state, updated_at)
  SELECT 1, community_id, 'live', strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM currencies LIMIT 1;

-- The storage quota, in the copy of the community's quotas as in the directory's (migration 0033).
ALTER TABLE community_quotas ADD COLUMN stored_bytes INTEGER;
ALTER TABLE community_quotas ADD COLUMN total_rate_limit INTEGER;
