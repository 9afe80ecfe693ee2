-- Complaints the system raised from these orders (F5 from an E4) and not yet withdrawn.
SELECT g.id, g.origin_key, g.received_at, g.received_date FROM complaints g
WHERE g.origin_key IN :origin_keys
  AND NOT EXISTS (SELECT 1 FROM events w WHERE w.complaint_id = g.id AND w.event_type = 'withdrawn')
