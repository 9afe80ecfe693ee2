SELECT p.proposal_key, p.business_date, p.rule, p.kind, p.complaint_id, COALESCE(p.staff_id, p.team_id) AS party,
       COALESCE(s.name, t.name) AS party_name, p.fine_amount, p.points, p.multiplier, p.reason,
       pd.decision, pd.decided_by, pd.decided_at, pd.reason AS decision_reason
FROM penalty_proposals p
LEFT JOIN proposal_decisions pd ON pd.proposal_key = p.proposal_key
LEFT JOIN staff s ON s.id = p.staff_id
LEFT JOIN teams t ON t.id = p.team_id
ORDER BY p.business_date, p.proposal_key
