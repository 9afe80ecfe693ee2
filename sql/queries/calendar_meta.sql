-- What business_days holds: the country it was filled for and its contiguous range.
SELECT country, subdivision, first_day, last_day, filled_at
FROM calendar_meta
WHERE id = 1
