SELECT id, recipient_id, kind, period, business_date, language, recipient_email, recipient_name, subject,
       body_text, body_html, message_id, content_hash, state, attempts, next_attempt_at, claimed_at, sent_at,
       last_code, last_error, created_at, updated_at
FROM mail_outbox WHERE id = :outbox_id
