SELECT * FROM departments WHERE id IN :record_ids
