UPDATE order_sync_queue SET deferred_until = :deferred_until WHERE complaint_id = :complaint_id
