-- D1: follow-ups (F1-F4) and second-round investigations (S1) due after :day up to :horizon_date, open
-- when :day ends (ix_orders_due_date).
SELECT o.order_key, o.complaint_id, o.rule, o.kind, o.sequence, o.started_at, o.due_at, o.due_date,
       c.target_department_id, c.customer_id, k.name AS customer_name, k.phone AS customer_phone,
       w.owner_id
FROM orders o
JOIN complaints c ON c.id = o.complaint_id
JOIN order_owners w ON w.order_key = o.order_key
LEFT JOIN customers k ON k.id = c.customer_id
WHERE o.due_date > :day AND o.due_date <= :horizon_date
  AND o.kind <> 'stage'
  AND o.started_at < :day_end_at
  AND (o.done_at IS NULL OR o.done_at >= :day_end_at)
  AND (o.stop_at IS NULL OR o.stop_at >= :day_end_at)
ORDER BY o.due_at, o.order_key
