-- The facts penalties and follow-ups depend on, with the decision events in force at two instants
-- (the end of the run's day and of the previous working day); facts.rows() weighs them against the
-- record's own decision (upheld, decided_at).
SELECT c.id, c.kind, c.category, c.channel, c.summary, c.problem_code, c.filer_id, c.handler_id, c.customer_id,
       c.target_department_id, c.received_at, c.loss_amount, c.customer_lost,
       c.bad_attitude, c.delay_days, c.obstruction, c.obstruction_grave, c.severity_raised, c.handler_fine,
       c.anonymous, c.reply_letter_only, c.major, c.origin,
       c.duplicate_of, c.second_round_of, c.target_staff_id, c.target_team_id,
       d.manager_id AS target_manager_id, s.supervisor_id, k.account_manager_id,
       h.department_id AS handler_department_id, hd.manager_id AS handler_department_head_id,
       c.upheld, c.decided_at,
       (SELECT e.outcome FROM events e WHERE e.complaint_id = c.id AND e.event_type IN ('decision', 'withdrawn')
          AND e.occurred_at < :day_end_at ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) AS event_outcome_now,
       (SELECT e.occurred_at FROM events e WHERE e.complaint_id = c.id AND e.event_type IN ('decision', 'withdrawn')
          AND e.occurred_at < :day_end_at ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) AS event_now_at,
       (SELECT e.outcome FROM events e WHERE e.complaint_id = c.id AND e.event_type IN ('decision', 'withdrawn')
          AND e.occurred_at < :prev_end_at ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) AS event_outcome_before,
       (SELECT e.occurred_at FROM events e WHERE e.complaint_id = c.id AND e.event_type IN ('decision', 'withdrawn')
          AND e.occurred_at < :prev_end_at ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) AS event_before_at
FROM complaints c
JOIN departments d ON d.id = c.target_department_id
LEFT JOIN staff s ON s.id = c.target_staff_id
LEFT JOIN customers k ON k.id = c.customer_id
LEFT JOIN staff h ON h.id = c.handler_id
LEFT JOIN departments hd ON hd.id = h.department_id
WHERE c.id IN :record_ids
ORDER BY c.id
