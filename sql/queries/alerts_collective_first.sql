SELECT id FROM complaints
WHERE problem_code = :problem_code AND customer_id IS NOT NULL
  AND received_at > :window_start_at AND received_at <= :received_at
ORDER BY received_at, id
LIMIT 1
