-- The event log is append-only: a known event_key is never rewritten (intake checks its content first).
INSERT INTO events (
    event_key, complaint_id, order_key, event_type, stage, occurred_at, occurred_date, actor_id,
    outcome, method, signature, note, content_hash, recorded_at
) VALUES (
    :event_key, :complaint_id, :order_key, :event_type, :stage, :occurred_at, :occurred_date, :actor_id,
    :outcome, :method, :signature, :note, :content_hash, :recorded_at
)
