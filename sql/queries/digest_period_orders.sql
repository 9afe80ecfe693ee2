-- D2-D4: every order due in [:first_date, :last_date] with its owner resolved as the daily run does
-- (ix_orders_due_date).
SELECT o.order_key, o.complaint_id, o.rule, o.kind, o.sequence, o.started_at, o.due_at, o.due_date, o.done_at,
       o.stop_at, c.target_department_id, c.customer_id, k.name AS customer_name, k.phone AS customer_phone,
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
WHERE o.due_date >= :first_date AND o.due_date <= :last_date
ORDER BY o.due_at, o.order_key
