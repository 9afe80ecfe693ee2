-- Net fine (fines only; loss recovery is a separate claim) and points per staff member or team.
SELECT COALESCE('staff:' || staff_id, 'team:' || team_id) AS party,
       SUM(CASE WHEN kind = 'fine' THEN fine_amount ELSE 0 END) AS fine_amount,
       SUM(points) AS points
FROM ledger
GROUP BY COALESCE('staff:' || staff_id, 'team:' || team_id)
