INSERT INTO proposal_decisions (proposal_key, decision, decided_by, decided_at, reason)
VALUES (:proposal_key, :decision, :decided_by, :decided_at, :reason)
