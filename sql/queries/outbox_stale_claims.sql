-- Claims whose sender stopped mid-attempt (ix_mail_outbox_due: state first).
SELECT id, recipient_email, attempts, claim_token, claimed_at FROM mail_outbox
WHERE state = 'sending' AND claimed_at < :stale_before_at
ORDER BY id
