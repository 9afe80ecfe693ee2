INSERT INTO mail_attempts (outbox_id, attempt, started_at, finished_at, outcome, smtp_code, detail, transport)
VALUES (:outbox_id, :attempt, :started_at, :finished_at, :outcome, :smtp_code, :detail, :transport)
