-- Set (or replace) the company override for one date.
INSERT INTO calendar_overrides (day, working, reason, created_at)
VALUES (:day, :working, :reason, :created_at)
ON CONFLICT (day) DO UPDATE SET
    working = excluded.working,
    reason = excluded.reason,
    created_at = excluded.created_at
