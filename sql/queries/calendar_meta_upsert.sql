-- One row (id = 1) describing the filled range of business_days.
INSERT INTO calendar_meta (id, country, subdivision, first_day, last_day, filled_at)
VALUES (1, :country, :subdivision, :from_date, :to_date, :filled_at)
ON CONFLICT (id) DO UPDATE SET
    country = excluded.country,
    subdivision = excluded.subdivision,
    first_day = excluded.first_day,
    last_day = excluded.last_day,
    filled_at = excluded.filled_at
