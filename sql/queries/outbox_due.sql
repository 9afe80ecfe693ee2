-- What the next pass would attempt (`mail send --no-send`).
SELECT id, recipient_id, recipient_email, kind, period, business_date, state, attempts, next_attempt_at, subject
FROM mail_outbox
WHERE state IN ('pending', 'failed') AND next_attempt_at <= :now_at
ORDER BY next_attempt_at, id
