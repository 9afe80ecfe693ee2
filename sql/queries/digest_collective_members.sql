-- A1/R3: the complaints of one collective burst: same problem, received in the window (ix_complaints_problem).
SELECT c.id, c.customer_id, k.name AS customer_name, k.phone AS customer_phone, c.target_department_id,
       c.received_at, c.summary
FROM complaints c
LEFT JOIN customers k ON k.id = c.customer_id
WHERE c.problem_code = :problem_code AND c.received_at >= :window_start_at AND c.received_at <= :received_at
  AND c.duplicate_of IS NULL
ORDER BY c.received_at, c.id
