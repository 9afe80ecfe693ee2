-- The organisation (small, read whole): names, mail addresses, languages, roles.
SELECT id, name, email, language, role, department_id, team_id, active FROM staff ORDER BY id
