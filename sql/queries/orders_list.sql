-- Orders started by :as_of_at, with the owner resolved as the daily run resolves it.
SELECT o.order_key, o.complaint_id, o.kind, o.rule, o.due_at, o.due_date, o.done_at, o.stop_at,
       COALESCE(o.owner_id,
                CASE o.owner_role
                    WHEN 'department_head' THEN d.manager_id
                    WHEN 'handler' THEN COALESCE(c.handler_id,
                        (SELECT MIN(s.id) FROM staff s WHERE s.role = 'gm_secretary' AND s.active = TRUE))
                END) AS owner_id
FROM orders o
JOIN complaints c ON c.id = o.complaint_id
JOIN departments d ON d.id = c.target_department_id
WHERE o.stop_date >= :min_stop_date AND o.started_at <= :as_of_at AND o.due_date <= :due_before_date
  AND (CAST(:owner AS VARCHAR(40)) IS NULL OR o.owner_id = :owner
       OR (o.owner_id IS NULL AND o.owner_role = 'department_head' AND d.manager_id = :owner)
       OR (o.owner_id IS NULL AND o.owner_role = 'handler' AND c.handler_id = :owner))
ORDER BY o.due_at, o.order_key
