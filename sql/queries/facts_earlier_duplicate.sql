-- R1: the same customer's same problem, filed with another department shortly before this complaint.
SELECT id FROM complaints
WHERE customer_id = :customer_id AND problem_code = :problem_code AND target_department_id <> :department_id
  AND duplicate_of IS NULL AND id <> :complaint_id
  AND received_at > :window_start_at AND received_at <= :received_at
ORDER BY received_at, id
LIMIT 1
