-- Members who have not joined yet (issue 28). A webhook's `on_unknown_member` says what a delivery
-- for an unknown member does: 'fail' (as before), 'hold', or 'create' (the member is created from
-- the payload in the delivery's batch; `users.created_by_delivery` names that delivery, and the
-- partial index counts a community's created members of the last hour against its
-- `members_per_hour` quota). A held delivery is a pending row with
-- error_code 'member_unknown' whose `member` (the identifier its plan names) is read by
-- `member_by` (email or username); it owns its idempotency key while held, so the sender's
-- retry is its duplicate, and gives the key up to the replay that applies it when the member is
-- created. The partial index finds a community's held deliveries for one identifier, in order,
-- and counts them against the `held_deliveries` quota.
ALTER TABLE incoming_webhooks ADD COLUMN on_unknown_member TEXT NOT NULL DEFAULT 'fail'
  CHECK (on_unknown_member IN ('fail', 'hold', 'create'));
ALTER TABLE deliveries ADD COLUMN member_by TEXT;
ALTER TABLE community_quotas ADD COLUMN held_deliveries INTEGER;
ALTER TABLE community_quotas ADD COLUMN members_per_hour INTEGER;
ALTER TABLE users ADD COLUMN created_by_delivery TEXT;
CREATE INDEX users_created_by_deliveries ON users(community_id, created_at)
  WHERE created_by_delivery IS NOT NULL;
CREATE INDEX deliveries_held ON deliveries(community_id, member, seq)
  WHERE status = 'pending' AND error_code = 'member_unknown' AND replayed_as IS NULL;
