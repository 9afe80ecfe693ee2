-- D2/D4: the ledger of [:first_date, :last_date] per day, department of who pays, rule and kind; reversals
-- net out their entries (ix_ledger_date).
SELECT l.business_date, COALESCE(s.department_id, t.department_id) AS party_department_id, l.rule, l.kind,
       SUM(l.fine_amount) AS fine_amount, SUM(l.points) AS points,
       SUM(CASE WHEN l.entry_type = 'reversal' THEN -1 ELSE 1 END) AS entries
FROM ledger l
LEFT JOIN staff s ON s.id = l.staff_id
LEFT JOIN teams t ON t.id = l.team_id
WHERE l.business_date >= :first_date AND l.business_date <= :last_date
GROUP BY l.business_date, COALESCE(s.department_id, t.department_id), l.rule, l.kind
ORDER BY l.business_date
