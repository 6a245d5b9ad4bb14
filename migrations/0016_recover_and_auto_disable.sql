-- Resending a failed outgoing delivery (by hand, or all since a time with POST .../recover) makes
-- a new delivery of the same event; the original names the newest one, so that recover never
-- sends it twice however often it is called.
ALTER TABLE outgoing_deliveries ADD COLUMN resent_as TEXT;

-- Auto-disable: a subscription whose deliveries keep failing is turned off (is_active = 0) with
-- its reason, after failures_in_a_row failed deliveries in a row spanning at least some days since
-- failing_since (src/outbox/failing.rs). A success, or turning it on again, starts over.
ALTER TABLE webhook_subscriptions ADD COLUMN disabled_reason TEXT;
ALTER TABLE webhook_subscriptions ADD COLUMN failures_in_a_row INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_subscriptions ADD COLUMN failing_since TEXT;
