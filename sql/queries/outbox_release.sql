-- An explicit request to mail what a backfill archived.
UPDATE mail_outbox SET state = 'pending', next_attempt_at = :now_at, updated_at = :now_at
WHERE id IN :outbox_ids AND state = 'archived'
