-- Stage completions already recorded, to keep stages in order (E2 not before E1).
SELECT complaint_id, stage, MIN(occurred_at) AS done_at
FROM events
WHERE complaint_id IN :record_ids AND event_type = 'stage_done'
GROUP BY complaint_id, stage
