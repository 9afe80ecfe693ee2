SELECT content_id, filename, mime_type, data FROM mail_parts WHERE outbox_id = :outbox_id ORDER BY position
