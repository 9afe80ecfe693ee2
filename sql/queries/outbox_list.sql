-- `mail list`: filtered by state, kind and the business date that queued the message.
SELECT id, business_date, kind, period, recipient_id, recipient_name, recipient_email, language, state, attempts,
       next_attempt_at, sent_at, last_code, last_error, subject, message_id, created_at
FROM mail_outbox
WHERE business_date BETWEEN :date_from AND :date_to
  AND (CAST(:state AS VARCHAR(10)) IS NULL OR state = :state)
  AND (CAST(:kind AS VARCHAR(4)) IS NULL OR kind = :kind)
ORDER BY business_date, id
