INSERT INTO derivation_state (name, fingerprint, updated_at) VALUES (:state_name, :fingerprint, :updated_at)
ON CONFLICT (name) DO UPDATE SET fingerprint = excluded.fingerprint, updated_at = excluded.updated_at
