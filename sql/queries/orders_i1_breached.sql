-- P10: I1 orders that missed their deadline (not stopped by it), by the facts known now.
SELECT complaint_id FROM orders
WHERE complaint_id IN :record_ids AND rule = 'I1' AND (stop_at IS NULL OR stop_at > due_at)
