-- Orders started by :as_of_at, with the owner resolved as the daily run resolves it.
SELECT o.order_key, o.complaint_id, o.kind, o.rule, o.due_at, o.due_date, o.done_at, o.stop_at,
       w.owner_id
FROM orders o
JOIN order_owners w ON w.order_key = o.order_key
WHERE o.stop_date >= :min_stop_date AND o.started_at <= :as_of_at AND o.due_date <= :due_before_date
  AND (CAST(:owner AS VARCHAR(40)) IS NULL OR w.owner_id = :owner)
ORDER BY o.due_at, o.order_key
