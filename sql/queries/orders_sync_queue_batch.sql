-- The queue in key order, one batch after another. A complaint parked because some of its deadlines
-- lie beyond the calendar comes back once the calendar's last day is no longer the one it waited on.
SELECT complaint_id, queued_at FROM order_sync_queue
WHERE complaint_id > :after_id
  AND (deferred_until IS NULL OR deferred_until <> :calendar_end_date)
ORDER BY complaint_id LIMIT :batch_size
