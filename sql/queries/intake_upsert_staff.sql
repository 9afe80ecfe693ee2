-- supervisor_id is set afterwards (intake_set_supervisor): a supervisor may appear later in the file.
INSERT INTO staff (id, name, email, department_id, team_id, role, language)
VALUES (:id, :name, :email, :department_id, :team_id, :role, :language)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email,
    department_id = excluded.department_id, team_id = excluded.team_id, role = excluded.role,
    language = excluded.language
