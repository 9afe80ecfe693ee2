-- R2 and R3 counts (and the R1 earlier duplicate) of a batch of complaints in one statement (SQLite; facts_counts_pg.sql is the same
-- on PostgreSQL): per complaint, what daily_repeat_count.sql and facts_collective_customers.sql count,
-- each window ending with the complaint's own filing and each count stopping at its cap. The window
-- start keeps the stored text form (microseconds) so that `>` compares exactly as the one-row queries.
SELECT b.id,
       (SELECT COUNT(*) FROM (
            SELECT 1 FROM complaints c
            WHERE c.target_department_id = b.target_department_id AND c.category = b.category
              AND c.duplicate_of IS NULL
              AND c.received_at > datetime(b.received_at, '-' || :repeat_days || ' days') || substr(b.received_at, 20)
              AND c.received_at <= b.received_at
            LIMIT :repeat_cap) AS recent) AS repeat_count,
       CASE WHEN b.problem_code IS NULL OR b.problem_code = '' THEN 1 ELSE (SELECT COUNT(*) FROM (
            SELECT DISTINCT c.customer_id FROM complaints c
            WHERE c.problem_code = b.problem_code AND c.customer_id IS NOT NULL
              AND c.received_at > datetime(b.received_at, '-' || :collective_days || ' days') || substr(b.received_at, 20)
              AND c.received_at <= b.received_at
            LIMIT :collective_cap) AS customers) END AS collective_customers,
       CASE WHEN b.customer_id IS NULL OR b.problem_code IS NULL OR b.problem_code = '' THEN NULL ELSE (
            SELECT d.id FROM complaints d
            WHERE d.customer_id = b.customer_id AND d.problem_code = b.problem_code
              AND d.target_department_id <> b.target_department_id AND d.duplicate_of IS NULL AND d.id <> b.id
              AND d.received_at > datetime(b.received_at, '-' || :duplicate_days || ' days') || substr(b.received_at, 20)
              AND d.received_at <= b.received_at
            ORDER BY d.received_at, d.id LIMIT 1) END AS earlier_duplicate
FROM complaints b
WHERE b.id IN :record_ids
