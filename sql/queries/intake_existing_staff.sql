SELECT * FROM staff WHERE id IN :record_ids
