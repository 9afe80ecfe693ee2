-- Who stands in for a role when a complaint names nobody (lowest id among the active staff).
SELECT role, MIN(id) AS staff_id FROM staff
WHERE active = TRUE AND role IN ('cs_assistant', 'company_manager', 'general_manager', 'gm_secretary')
GROUP BY role
