SELECT id, recipient_id, kind, period, business_date, language, recipient_email, recipient_name, subject,
       body_text, body_html, message_id, state, attempts, claim_token, claimed_at
FROM mail_outbox WHERE claim_token = :claim_token AND state = 'sending'
