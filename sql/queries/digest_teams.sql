SELECT id, name, department_id FROM teams ORDER BY id
