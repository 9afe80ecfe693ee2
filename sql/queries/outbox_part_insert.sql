INSERT INTO mail_parts (outbox_id, position, content_id, filename, mime_type, data)
VALUES (:outbox_id, :position, :content_id, :filename, :mime_type, :data)
