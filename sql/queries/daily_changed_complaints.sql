-- Complaints whose penalty state may have changed in the run's period (prev working day, :day]:
-- a decision was taken (on the record or as a later decision/withdrawal event), or the general
-- manager decided one of its proposals.
SELECT e.complaint_id FROM events e
WHERE e.event_type IN ('decision', 'withdrawn') AND e.occurred_date > :prev_date AND e.occurred_date <= :day
UNION
SELECT p.complaint_id FROM proposal_decisions pd
JOIN penalty_proposals p ON p.proposal_key = pd.proposal_key
WHERE pd.decided_at >= :prev_end_at AND pd.decided_at < :day_end_at
UNION
SELECT c.id FROM complaints c
WHERE c.decided_at >= :prev_end_at AND c.decided_at < :day_end_at
