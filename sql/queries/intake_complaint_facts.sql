-- What event validation needs to know of complaints already in the database.
SELECT id, kind, received_at FROM complaints WHERE id IN :record_ids
