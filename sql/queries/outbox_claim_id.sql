-- Claim one given row for an attempt now (`mail.send_now`); a row another sender holds is not due.
UPDATE mail_outbox
SET state = 'sending', claim_token = :claim_token, claimed_at = :now_at, attempts = attempts + 1,
    updated_at = :now_at
WHERE id = :outbox_id AND state IN ('pending', 'failed') AND next_attempt_at <= :now_at
