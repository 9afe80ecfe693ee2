-- D1: O1 fines of some orders posted up to and including :day (net of reversals), via ix_ledger_complaint.
SELECT order_key, SUM(fine_amount) AS fine_amount,
       SUM(CASE WHEN business_date = :day THEN fine_amount ELSE 0 END) AS fine_today
FROM ledger
WHERE complaint_id IN :record_ids AND order_key IN :order_keys AND rule = 'O1' AND business_date <= :day
GROUP BY order_key
