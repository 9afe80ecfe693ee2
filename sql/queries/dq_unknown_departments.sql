-- Foreign keys prevent this on PostgreSQL; on SQLite they can be switched off by other tools.
SELECT c.id FROM complaints c LEFT JOIN departments d ON d.id = c.target_department_id
WHERE d.id IS NULL ORDER BY c.id
