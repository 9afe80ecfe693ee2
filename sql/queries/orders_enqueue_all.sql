INSERT INTO order_sync_queue (complaint_id, queued_at)
SELECT id, :queued_at FROM complaints
ON CONFLICT (complaint_id) DO UPDATE SET queued_at = excluded.queued_at
