-- What ops must look at: delivery unknown (may or may not have arrived), refused for good, or failed
-- with no attempt left (ix_mail_outbox_due: state first).
SELECT id, business_date, kind, period, recipient_id, recipient_name, recipient_email, language, state, attempts,
       next_attempt_at, sent_at, last_code, last_error, subject, message_id, created_at
FROM mail_outbox
WHERE state IN ('unknown', 'rejected') OR (state = 'failed' AND next_attempt_at IS NULL)
ORDER BY business_date, id
