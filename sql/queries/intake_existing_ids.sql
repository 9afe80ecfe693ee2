-- Which of the referenced ids exist, per table (one statement, four lists).
SELECT 'department' AS kind, id FROM departments WHERE id IN :department_ids
UNION ALL SELECT 'team', id FROM teams WHERE id IN :team_ids
UNION ALL SELECT 'staff', id FROM staff WHERE id IN :staff_ids
UNION ALL SELECT 'customer', id FROM customers WHERE id IN :customer_ids
