SELECT p.proposal_key, p.complaint_id, p.rule, p.kind, p.staff_id, p.team_id, p.fine_amount, p.points,
       pd.decision
FROM penalty_proposals p
LEFT JOIN proposal_decisions pd ON pd.proposal_key = p.proposal_key
WHERE p.proposal_key = :key OR p.proposal_key LIKE :short_id
