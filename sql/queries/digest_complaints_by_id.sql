SELECT c.id, c.kind, c.category, c.channel, c.summary, c.problem_code, c.target_department_id, c.target_staff_id,
       c.target_team_id, c.filer_id, c.handler_id, c.customer_id, k.name AS customer_name, k.phone AS customer_phone,
       c.received_at, c.received_date, c.major, c.loss_amount, c.customer_lost, c.duplicate_of, c.origin
FROM complaints c
LEFT JOIN customers k ON k.id = c.customer_id
WHERE c.id IN :record_ids
ORDER BY c.received_at, c.id
