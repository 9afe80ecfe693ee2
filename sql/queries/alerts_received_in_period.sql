-- Complaints received in the run's period (ix_complaints_received_date).
SELECT id, major, problem_code, customer_id, received_at, received_date, summary
FROM complaints
WHERE received_date > :prev_date AND received_date <= :day AND duplicate_of IS NULL
ORDER BY received_at, id
