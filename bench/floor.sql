-- The floor: one indexed query returning the benchmark date's due orders, every column of them: the
-- orders whose deadline is on or before :day and that are still open when it ends (stop_date >= :day
-- bounds the scan with ix_orders_open_on_day). Nothing any daily run could do with less reading.
SELECT o.*
FROM orders o
WHERE o.stop_date >= :day
  AND o.due_date <= :day
  AND (o.stop_at IS NULL OR o.stop_at > o.due_at)
ORDER BY o.order_key
