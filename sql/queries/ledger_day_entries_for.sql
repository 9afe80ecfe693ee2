-- The entries of one business date for some complaints (posting an approval touches only those).
SELECT id, entry_key, entry_type, reverses_id, business_date, rule, kind, complaint_id, order_key, staff_id,
       team_id, fine_amount, points, multiplier, policy_version, proposal_key, content_hash
FROM ledger WHERE business_date = :business_date AND complaint_id IN :record_ids
