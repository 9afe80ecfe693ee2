SELECT * FROM complaints WHERE id IN :record_ids
