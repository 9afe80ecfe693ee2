-- A1: the stage deadlines of some complaints, owner resolved as the daily run does.
SELECT o.order_key, o.complaint_id, o.rule, o.kind, o.started_at, o.due_at, o.done_at,
       w.owner_id
FROM orders o
JOIN order_owners w ON w.order_key = o.order_key
WHERE o.complaint_id IN :record_ids AND o.kind = 'stage'
ORDER BY o.due_at, o.order_key
