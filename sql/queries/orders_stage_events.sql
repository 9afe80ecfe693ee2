-- Events that start or finish stage orders, in time order (the first completion counts).
SELECT complaint_id, event_type, stage, occurred_at
FROM events
WHERE complaint_id IN :record_ids AND event_type IN ('stage_done', 'forwarded', 'withdrawn')
ORDER BY complaint_id, occurred_at, id
