SELECT complaint_id, queued_at FROM order_sync_queue ORDER BY complaint_id LIMIT :batch_size
