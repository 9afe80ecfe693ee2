SELECT id, name, role, email, department_id, language FROM staff WHERE id = :staff_id
