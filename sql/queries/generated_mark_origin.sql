-- A complaint the system raised itself (F5, S2) and what raised it.
UPDATE complaints SET origin = :origin, origin_key = :origin_key WHERE id = :id
