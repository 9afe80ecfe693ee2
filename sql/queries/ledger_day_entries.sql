-- Every entry of one business date (indexed): what a re-run of that date reconciles against.
SELECT id, entry_key, entry_type, reverses_id, business_date, rule, kind, complaint_id, order_key, staff_id,
       team_id, fine_amount, points, multiplier, policy_version, proposal_key, content_hash
FROM ledger WHERE business_date = :business_date
