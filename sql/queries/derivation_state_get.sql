SELECT fingerprint FROM derivation_state WHERE name = :state_name
