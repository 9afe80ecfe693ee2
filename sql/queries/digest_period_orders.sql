-- D2-D4: every order due in [:first_date, :last_date] with its owner resolved as the daily run does
-- (ix_orders_due_date; the same range on the view keeps its own scan of orders to that range).
SELECT o.order_key, o.complaint_id, o.rule, o.kind, o.sequence, o.started_at, o.due_at, o.due_date, o.done_at,
       o.stop_at, c.target_department_id, c.customer_id, k.name AS customer_name, k.phone AS customer_phone,
       w.owner_id
FROM orders o
JOIN complaints c ON c.id = o.complaint_id
JOIN order_owners w ON w.order_key = o.order_key AND w.due_date >= :first_date AND w.due_date <= :last_date
LEFT JOIN customers k ON k.id = c.customer_id
WHERE o.due_date >= :first_date AND o.due_date <= :last_date
ORDER BY o.due_at, o.order_key
