-- Rows already queued for one (kind, period) (uq_mail_outbox_recipient_kind_period).
SELECT id, recipient_id, state FROM mail_outbox WHERE kind = :kind AND period = :period
