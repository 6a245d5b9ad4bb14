-- A member's adjustments are listed newest first (GET .../users/{uid}/adjustments): without this
-- the list reads the whole table.
CREATE INDEX adjustments_by_member ON adjustments(community_id, user_id, created_at);
