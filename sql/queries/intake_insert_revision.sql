INSERT INTO complaint_revisions (complaint_id, changed_at, source, old_values, new_values)
VALUES (:complaint_id, :changed_at, :source, :old_values, :new_values)
