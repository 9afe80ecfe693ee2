-- The complaint's facts or events changed: derive its orders again (deadlines.sync_orders).
-- A newer queued_at tells a sync that read the old entry not to drop this one.
INSERT INTO order_sync_queue (complaint_id, queued_at) VALUES (:complaint_id, :queued_at)
ON CONFLICT (complaint_id) DO UPDATE SET queued_at = excluded.queued_at, deferred_until = NULL
