INSERT INTO orders (
    order_key, complaint_id, kind, rule, sequence, owner_id, owner_role, started_at, due_at, due_date,
    done_at, stop_at, stop_date, policy_version, source_hash
) VALUES (
    :order_key, :complaint_id, :kind, :rule, :sequence, :owner_id, :owner_role, :started_at, :due_at, :due_date,
    :done_at, :stop_at, :stop_date, :policy_version, :source_hash
)
ON CONFLICT (order_key) DO UPDATE SET
    kind = excluded.kind, rule = excluded.rule, sequence = excluded.sequence, owner_id = excluded.owner_id,
    owner_role = excluded.owner_role, started_at = excluded.started_at, due_at = excluded.due_at,
    due_date = excluded.due_date, done_at = excluded.done_at, stop_at = excluded.stop_at,
    stop_date = excluded.stop_date, policy_version = excluded.policy_version, source_hash = excluded.source_hash
