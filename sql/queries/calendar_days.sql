-- Stored calendar days in [from_date, to_date], in date order.
SELECT day, working, wd_ordinal, holiday_name, source
FROM business_days
WHERE day BETWEEN :from_date AND :to_date
ORDER BY day
