-- O1: orders charged for business date :day (a working day).
--   due that day and not stopped by the deadline (the breach), or
--   due earlier and still open when the day ends (:day_end_at, next local midnight).
-- ix_orders_open_on_day (stop_date, due_date) bounds the scan to orders open on the day; COALESCE keeps
-- planners without statistics (SQLite) off ix_orders_due_date, whose range is the whole history.
SELECT o.order_key, o.complaint_id, o.rule, o.kind, o.due_at, o.due_date, o.stop_at,
       w.owner_id
FROM orders o
JOIN order_owners w ON w.order_key = o.order_key
WHERE o.stop_date >= :day
  AND COALESCE(o.due_date, o.due_date) <= :day
  AND (o.stop_at IS NULL
       OR (o.due_date = :day AND o.stop_at > o.due_at)
       OR (o.due_date < :day AND o.stop_at >= :day_end_at))
ORDER BY o.order_key
