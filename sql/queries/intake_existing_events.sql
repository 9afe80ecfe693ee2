SELECT event_key, content_hash FROM events WHERE event_key IN :record_ids
