-- The queue in key order, one batch after another (a deferred complaint stays behind, the pass goes on).
SELECT complaint_id, queued_at FROM order_sync_queue
WHERE complaint_id > :after_id
ORDER BY complaint_id LIMIT :batch_size
