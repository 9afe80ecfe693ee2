-- An operator's decision (`mail retry`): try these again on the next pass.
UPDATE mail_outbox SET state = 'pending', next_attempt_at = :now_at, claim_token = NULL, updated_at = :now_at
WHERE id IN :outbox_ids AND state IN ('failed', 'unknown', 'rejected', 'archived')
