-- R2: complaints about the same problem (same target department and category, duplicates not
-- counted) filed in the window that ends with this complaint's filing. Only "at least :cap" matters,
-- so the scan stops there (busy departments have thousands in 180 days).
SELECT COUNT(*) AS repeat_count FROM (
    SELECT 1 FROM complaints
    WHERE target_department_id = :department_id AND category = :category AND duplicate_of IS NULL
      AND received_at > :window_start_at AND received_at <= :received_at
    LIMIT :cap
) AS recent
