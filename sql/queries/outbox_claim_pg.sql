-- Claim the next due message: FOR UPDATE SKIP LOCKED, so concurrent senders take different rows and
-- never wait on each other (ix_mail_outbox_due).
UPDATE mail_outbox
SET state = 'sending', claim_token = :claim_token, claimed_at = :now_at, attempts = attempts + 1,
    updated_at = :now_at
WHERE id = (SELECT id FROM mail_outbox
            WHERE state IN ('pending', 'failed') AND next_attempt_at <= :now_at
            ORDER BY next_attempt_at, id
            LIMIT 1
            FOR UPDATE SKIP LOCKED)
  AND state IN ('pending', 'failed')
