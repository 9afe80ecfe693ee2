SELECT attempt, started_at, finished_at, outcome, smtp_code, detail, transport
FROM mail_attempts WHERE outbox_id = :outbox_id ORDER BY id
