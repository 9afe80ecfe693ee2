-- Completions of follow-up orders (first one counts), in time order.
SELECT complaint_id, order_key, event_type, outcome, occurred_at
FROM events
WHERE complaint_id IN :record_ids AND order_key IS NOT NULL
  AND event_type IN ('order_done', 'revisit_done', 'second_round_result')
ORDER BY complaint_id, occurred_at, id
