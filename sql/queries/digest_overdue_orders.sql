-- D1: the orders O1 charges on :day (as daily_overdue_orders): due that day and not done by the deadline,
-- or due earlier and still open when the day ends (:day_end_at). ix_orders_open_on_day (stop_date, ...)
-- bounds the scan to orders open on :day; COALESCE keeps planners without statistics (SQLite) off
-- ix_orders_due_date, whose range `due_date <= :day` is the whole history.
SELECT o.order_key, o.complaint_id, o.rule, o.kind, o.sequence, o.due_at, o.due_date, o.done_at, o.stop_at,
       c.target_department_id, c.customer_id, k.name AS customer_name, k.phone AS customer_phone,
       w.owner_id
FROM orders o
JOIN complaints c ON c.id = o.complaint_id
JOIN order_owners w ON w.order_key = o.order_key
LEFT JOIN customers k ON k.id = c.customer_id
WHERE o.stop_date >= :day
  AND COALESCE(o.due_date, o.due_date) <= :day
  AND (o.stop_at IS NULL
       OR (o.due_date = :day AND o.stop_at > o.due_at)
       OR (o.due_date < :day AND o.stop_at >= :day_end_at))
ORDER BY o.due_at, o.order_key
