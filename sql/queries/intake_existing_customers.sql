SELECT * FROM customers WHERE id IN :record_ids
