-- P9/P10 proposals with their decisions. Those still waiting at the end of :day — proposed on or before
-- :day and not decided before :day_end_at (the general manager's digest); with :day far ahead and
-- :day_end_at far back, every proposal (`complaint-ops penalties list`).
SELECT p.proposal_key, p.business_date, p.rule, p.kind, p.complaint_id, COALESCE(p.staff_id, p.team_id) AS party,
       COALESCE(s.name, t.name) AS party_name, p.fine_amount, p.points, p.multiplier, p.reason,
       pd.decision, pd.decided_by, pd.decided_at, pd.reason AS decision_reason
FROM penalty_proposals p
LEFT JOIN proposal_decisions pd ON pd.proposal_key = p.proposal_key
LEFT JOIN staff s ON s.id = p.staff_id
LEFT JOIN teams t ON t.id = p.team_id
WHERE p.business_date <= :day AND (pd.decided_at IS NULL OR pd.decided_at >= :day_end_at)
ORDER BY p.business_date, p.proposal_key
