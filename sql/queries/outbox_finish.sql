-- The outcome of an attempt, only by the sender holding the claim.
UPDATE mail_outbox
SET state = :state, next_attempt_at = :next_attempt_at, sent_at = :sent_at, last_code = :last_code,
    last_error = :last_error, claim_token = NULL, updated_at = :updated_at
WHERE id = :outbox_id AND claim_token = :claim_token AND state = 'sending'
