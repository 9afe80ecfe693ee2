INSERT INTO alerts (alert_key, kind, complaint_id, business_date, raised_at, details, created_at)
VALUES (:alert_key, :kind, :complaint_id, :business_date, :raised_at, :details, :created_at)
ON CONFLICT (alert_key) DO NOTHING
