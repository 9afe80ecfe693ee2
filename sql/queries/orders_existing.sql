SELECT order_key, source_hash FROM orders WHERE complaint_id IN :record_ids
