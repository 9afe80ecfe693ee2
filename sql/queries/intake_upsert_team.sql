INSERT INTO teams (id, name, department_id)
VALUES (:id, :name, :department_id)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, department_id = excluded.department_id
