-- Only if not queued again meanwhile (intake bumps queued_at on a new change).
DELETE FROM order_sync_queue WHERE complaint_id = :complaint_id AND queued_at = :queued_at
