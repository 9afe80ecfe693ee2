SELECT id FROM staff WHERE active = TRUE AND (email IS NULL OR email = '') ORDER BY id
