-- R3: how many different customers raised the same problem in the window (ix_complaints_problem);
-- counting stops at :cap, all a collective complaint needs.
SELECT COUNT(*) AS customers FROM (
    SELECT DISTINCT customer_id FROM complaints
    WHERE problem_code = :problem_code AND customer_id IS NOT NULL
      AND received_at > :window_start_at AND received_at <= :received_at
    LIMIT :cap
) AS customers
