-- D1: follow-ups (F1-F4) and second-round investigations (S1) due after :day up to :horizon_date, open
-- when :day ends (ix_orders_due_date).
SELECT o.order_key, o.complaint_id, o.rule, o.kind, o.sequence, o.started_at, o.due_at, o.due_date,
       c.target_department_id, c.customer_id, k.name AS customer_name, k.phone AS customer_phone,
       COALESCE(o.owner_id,
                CASE o.owner_role
                    WHEN 'department_head' THEN d.manager_id
                    WHEN 'handler' THEN COALESCE(c.handler_id,
                        (SELECT MIN(s.id) FROM staff s WHERE s.role = 'gm_secretary' AND s.active = TRUE))
                END) AS owner_id
FROM orders o
JOIN complaints c ON c.id = o.complaint_id
JOIN departments d ON d.id = c.target_department_id
LEFT JOIN customers k ON k.id = c.customer_id
WHERE o.due_date > :day AND o.due_date <= :horizon_date
  AND o.kind <> 'stage'
  AND o.started_at < :day_end_at
  AND (o.done_at IS NULL OR o.done_at >= :day_end_at)
  AND (o.stop_at IS NULL OR o.stop_at >= :day_end_at)
ORDER BY o.due_at, o.order_key
