-- Claim the next due message (SQLite: a single write statement; writers are serialized, and the state
-- condition makes a second claimer find nothing). PostgreSQL uses outbox_claim_pg.sql.
UPDATE mail_outbox
SET state = 'sending', claim_token = :claim_token, claimed_at = :now_at, attempts = attempts + 1,
    updated_at = :now_at
WHERE id = (SELECT id FROM mail_outbox
            WHERE state IN ('pending', 'failed') AND next_attempt_at <= :now_at
            ORDER BY next_attempt_at, id
            LIMIT 1)
  AND state IN ('pending', 'failed')
