INSERT INTO imports (file_name, file_sha256, started_at, accepted, unchanged, updated, rejected)
VALUES (:file_name, :file_sha256, :started_at, :accepted, :unchanged, :updated, :rejected)
