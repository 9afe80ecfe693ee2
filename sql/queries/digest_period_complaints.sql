-- D2/D4: complaints received in [:first_date, :last_date] (ix_complaints_received_date).
SELECT c.id, c.kind, c.category, c.channel, c.summary, c.problem_code, c.target_department_id, c.customer_id,
       c.received_at, c.received_date, c.major, c.duplicate_of, c.second_round_of, c.origin
FROM complaints c
WHERE c.received_date >= :first_date AND c.received_date <= :last_date
ORDER BY c.received_at, c.id
