-- One message per (recipient, kind, period): a second insert finds the unique key and does nothing.
INSERT INTO mail_outbox (
    recipient_id, kind, period, business_date, language, recipient_email, recipient_name, subject, body_text,
    body_html, message_id, content_hash, state, attempts, next_attempt_at, created_at, updated_at
) VALUES (
    :recipient_id, :kind, :period, :business_date, :language, :recipient_email, :recipient_name, :subject,
    :body_text, :body_html, :message_id, :content_hash, :state, 0, :next_attempt_at, :created_at, :updated_at
)
ON CONFLICT (recipient_id, kind, period) DO NOTHING
RETURNING id
