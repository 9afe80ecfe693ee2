SELECT alert_key, kind, complaint_id, business_date, raised_at, details FROM alerts
WHERE business_date = :business_date ORDER BY raised_at, alert_key
