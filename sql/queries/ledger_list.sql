SELECT l.id, l.business_date, l.entry_type, l.reverses_id, l.rule, l.kind, l.complaint_id, l.order_key,
       COALESCE(l.staff_id, l.team_id) AS party, COALESCE(s.name, t.name) AS party_name,
       l.fine_amount, l.points, l.multiplier, l.policy_version, l.entry_key, l.content_hash, l.detail
FROM ledger l
LEFT JOIN staff s ON s.id = l.staff_id
LEFT JOIN teams t ON t.id = l.team_id
WHERE l.business_date BETWEEN :date_from AND :date_to
  AND (CAST(:party AS VARCHAR(40)) IS NULL OR l.staff_id = :party OR l.team_id = :party)
ORDER BY l.business_date, l.id
