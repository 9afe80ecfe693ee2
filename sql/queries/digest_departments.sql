-- The organisation (small, read whole): departments with their manager.
SELECT id, name, name_en, manager_id FROM departments ORDER BY id
