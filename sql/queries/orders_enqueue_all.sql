INSERT INTO order_sync_queue (complaint_id, queued_at)
SELECT id, :queued_at FROM complaints WHERE TRUE  -- SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT
ON CONFLICT (complaint_id) DO UPDATE SET queued_at = excluded.queued_at, deferred_until = NULL
