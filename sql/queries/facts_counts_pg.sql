-- R2 and R3 counts of a batch of complaints in one statement (PostgreSQL; see facts_counts.sql).
SELECT b.id,
       (SELECT COUNT(*) FROM (
            SELECT 1 FROM complaints c
            WHERE c.target_department_id = b.target_department_id AND c.category = b.category
              AND c.duplicate_of IS NULL
              AND c.received_at > b.received_at - make_interval(days => CAST(:repeat_days AS integer))
              AND c.received_at <= b.received_at
            LIMIT :repeat_cap) AS recent) AS repeat_count,
       CASE WHEN b.problem_code IS NULL OR b.problem_code = '' THEN 1 ELSE (SELECT COUNT(*) FROM (
            SELECT DISTINCT c.customer_id FROM complaints c
            WHERE c.problem_code = b.problem_code AND c.customer_id IS NOT NULL
              AND c.received_at > b.received_at - make_interval(days => CAST(:collective_days AS integer))
              AND c.received_at <= b.received_at
            LIMIT :collective_cap) AS customers) END AS collective_customers
FROM complaints b
WHERE b.id IN :record_ids
