-- D3/D4: the completion events of follow-up orders (first one counts), via ix_events_order.
SELECT order_key, event_type, occurred_at, method, signature, outcome, actor_id
FROM events
WHERE order_key IN :order_keys AND event_type IN ('order_done', 'revisit_done', 'second_round_result')
ORDER BY order_key, occurred_at, id
