-- D1: the entries that stand for business date :day (reversed ones and their reversals left out; a
-- reversal is always dated like the entry it reverses), with the department of who pays (ix_ledger_date).
SELECT l.id, l.rule, l.kind, l.entry_type, l.complaint_id, l.order_key, l.staff_id, l.team_id, l.fine_amount,
       l.points, l.multiplier, l.proposal_key, COALESCE(s.department_id, t.department_id) AS party_department_id
FROM ledger l
LEFT JOIN staff s ON s.id = l.staff_id
LEFT JOIN teams t ON t.id = l.team_id
WHERE l.business_date = :day AND l.entry_type <> 'reversal'
  AND NOT EXISTS (SELECT 1 FROM ledger r WHERE r.reverses_id = l.id)
ORDER BY l.rule, l.id
