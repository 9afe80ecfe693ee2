-- D1: complaints received in the run's period (previous working day, day] (ix_complaints_received_date).
SELECT c.id, c.kind, c.category, c.channel, c.summary, c.problem_code, c.target_department_id, c.target_staff_id,
       c.target_team_id, c.filer_id, c.handler_id, c.customer_id, k.name AS customer_name, k.phone AS customer_phone,
       c.received_at, c.received_date, c.major, c.duplicate_of, c.second_round_of, c.origin, c.loss_amount
FROM complaints c
LEFT JOIN customers k ON k.id = c.customer_id
WHERE c.received_date > :prev_date AND c.received_date <= :day
ORDER BY c.received_at, c.id
