-- An admin's adjustments of a member by hand (POST .../users/{uid}/adjustments): who, why, what
-- (the effects, as a delivery's), and under which Idempotency-Key, so that a retried request
-- adjusts once. The balances, gamification logs and field histories an adjustment writes go in
-- the batch that writes its row; those rows name it as `admin:<reason>`.
CREATE TABLE adjustments (
  id TEXT PRIMARY KEY,
  community_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  reason TEXT NOT NULL,
  effects TEXT NOT NULL,
  idempotency_key TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (community_id, idempotency_key)
);
