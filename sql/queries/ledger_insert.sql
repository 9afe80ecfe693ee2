-- Append only: an entry is never updated or deleted (triggers refuse it).
INSERT INTO ledger (
    entry_key, entry_type, reverses_id, business_date, rule, kind, complaint_id, order_key, staff_id, team_id,
    fine_amount, points, multiplier, policy_version, content_hash, detail, proposal_key, posted_at
) VALUES (
    :entry_key, :entry_type, :reverses_id, :business_date, :rule, :kind, :complaint_id, :order_key, :staff_id, :team_id,
    :fine_amount, :points, :multiplier, :policy_version, :content_hash, :detail, :proposal_key, :posted_at
)
