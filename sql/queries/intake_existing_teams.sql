SELECT * FROM teams WHERE id IN :record_ids
