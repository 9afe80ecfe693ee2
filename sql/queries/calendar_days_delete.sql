-- business_days is derived: a fill replaces it as a whole (inside one transaction).
DELETE FROM business_days
