-- The cron queues again the outgoing deliveries whose next attempt is overdue (src/overdue.rs): a
-- queue message can be lost, and its delivery would stay pending unseen. It walks the pending
-- ones by when their next attempt was due (or when they were created, before the first).
CREATE INDEX outgoing_pending_by_due
  ON outgoing_deliveries(COALESCE(next_attempt_at, created_at)) WHERE status = 'pending';
