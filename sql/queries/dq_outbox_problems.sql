SELECT state, COUNT(*) AS n FROM mail_outbox WHERE state IN ('failed', 'unknown', 'rejected') GROUP BY state ORDER BY state
