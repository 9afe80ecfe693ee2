-- Master data: insert or correct a department (manager FK is deferred: a manager may load later).
INSERT INTO departments (id, name, name_en, manager_id)
VALUES (:id, :name, :name_en, :manager_id)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, manager_id = excluded.manager_id
