-- First statement of a run: the row lock on this date's day_runs row makes a second run of the
-- same date wait until this one commits (PostgreSQL); SQLite serializes writers anyway.
INSERT INTO day_runs (business_date, runs, last_started_at, last_summary)
VALUES (:business_date, 1, :started_at, '')
ON CONFLICT (business_date) DO UPDATE SET runs = day_runs.runs + 1, last_started_at = excluded.last_started_at
