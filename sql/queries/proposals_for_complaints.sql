SELECT p.proposal_key, p.complaint_id, p.rule, p.kind, p.staff_id, p.team_id, p.fine_amount, p.points,
       p.multiplier, p.policy_version, pd.decision, pd.decided_at
FROM penalty_proposals p
LEFT JOIN proposal_decisions pd ON pd.proposal_key = p.proposal_key
WHERE p.complaint_id IN :record_ids
