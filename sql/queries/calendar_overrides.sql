-- The company's own working / non-working days; they win over the public calendar (POLICY §1).
SELECT day, working, reason, created_at
FROM calendar_overrides
ORDER BY day
