-- P9/P10: a penalty waiting for the general manager; proposed once (deterministic key).
INSERT INTO penalty_proposals (proposal_key, business_date, rule, kind, complaint_id, staff_id, team_id,
                               fine_amount, points, multiplier, policy_version, reason, created_at)
VALUES (:proposal_key, :business_date, :rule, :kind, :complaint_id, :staff_id, :team_id,
        :fine_amount, :points, :multiplier, :policy_version, :reason, :created_at)
ON CONFLICT (proposal_key) DO NOTHING
