-- F5: E4 orders still open past their deadline by the end of the run's day, not yet complained about.
SELECT o.complaint_id, o.due_at FROM orders o
WHERE o.rule = 'E4' AND o.stop_date = :open_date AND o.due_at < :day_end_at
  AND NOT EXISTS (SELECT 1 FROM complaints g WHERE g.origin = 'F5' AND g.origin_key = o.order_key)
