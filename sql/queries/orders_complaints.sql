SELECT id, kind, received_at FROM complaints WHERE id IN :record_ids ORDER BY id
