-- A failed or pending delivery is recorded under the webhook's current settings only, as a success
-- already was (deliveries_success_guard): one judged by a cached record that a change has since
-- outdated (new encryption, a mapping saved) is refused, and the edge judges it again by the
-- current record instead of keeping a failure the old settings made up. A deleted webhook's
-- failures are still recorded.
CREATE TRIGGER deliveries_unapplied_guard BEFORE INSERT ON deliveries
WHEN NEW.status <> 'success'
BEGIN
  SELECT RAISE(ABORT, 'hookmap:stale_webhook')
   WHERE EXISTS (SELECT 1 FROM incoming_webhooks
                  WHERE id = NEW.webhook_id AND version <> NEW.webhook_version);
END;
