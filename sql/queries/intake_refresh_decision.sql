-- complaints.upheld/decided_at cache the latest `decision` event of the complaint (by time, then id).
UPDATE complaints
SET upheld = (
        SELECT CASE WHEN e.outcome = 'upheld' THEN TRUE ELSE FALSE END FROM events e
        WHERE e.complaint_id = complaints.id AND e.event_type = 'decision'
        ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1),
    decided_at = (
        SELECT e.occurred_at FROM events e
        WHERE e.complaint_id = complaints.id AND e.event_type = 'decision'
        ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1)
WHERE id IN :complaint_ids
