DELETE FROM calendar_overrides
WHERE day = :day
