-- A1: alerts of complaints received in the run's period (previous working day, day].
SELECT alert_key, kind, complaint_id, business_date, raised_at, details
FROM alerts
WHERE business_date > :prev_date AND business_date <= :day
ORDER BY raised_at, alert_key
