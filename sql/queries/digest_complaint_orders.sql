-- A1: the stage deadlines of some complaints, owner resolved as the daily run does.
SELECT o.order_key, o.complaint_id, o.rule, o.kind, o.started_at, o.due_at, o.done_at,
       COALESCE(o.owner_id,
                CASE o.owner_role
                    WHEN 'department_head' THEN d.manager_id
                    WHEN 'handler' THEN COALESCE(c.handler_id,
                        (SELECT MIN(s.id) FROM staff s WHERE s.role = 'gm_secretary' AND s.active = TRUE))
                END) AS owner_id
FROM orders o
JOIN complaints c ON c.id = o.complaint_id
JOIN departments d ON d.id = c.target_department_id
WHERE o.complaint_id IN :record_ids AND o.kind = 'stage'
ORDER BY o.due_at, o.order_key
