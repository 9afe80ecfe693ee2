SELECT COUNT(*) AS waiting FROM penalty_proposals p
WHERE NOT EXISTS (SELECT 1 FROM proposal_decisions pd WHERE pd.proposal_key = p.proposal_key)
