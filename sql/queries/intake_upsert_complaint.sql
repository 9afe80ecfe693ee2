-- A complaint's facts; a changed record is a correction (the old values go to complaint_revisions).
-- Links to other complaints (duplicate_of, second_round_of) are set by intake_set_complaint_links.
INSERT INTO complaints (
    id, kind, category, channel, summary, problem_code, filer_id, handler_id, customer_id,
    target_department_id, target_staff_id, target_team_id, received_at, received_date, loss_amount,
    customer_lost, bad_attitude, delay_days, obstruction, obstruction_grave, anonymous,
    reply_letter_only, written, major, severity_raised, handler_fine, upheld, decided_at, content_hash
) VALUES (
    :id, :kind, :category, :channel, :summary, :problem_code, :filer_id, :handler_id, :customer_id,
    :target_department_id, :target_staff_id, :target_team_id, :received_at, :received_date, :loss_amount,
    :customer_lost, :bad_attitude, :delay_days, :obstruction, :obstruction_grave, :anonymous,
    :reply_letter_only, :written, :major, :severity_raised, :handler_fine, :upheld, :decided_at, :content_hash
)
ON CONFLICT (id) DO UPDATE SET
    kind = excluded.kind, category = excluded.category, channel = excluded.channel,
    summary = excluded.summary, problem_code = excluded.problem_code, filer_id = excluded.filer_id,
    handler_id = excluded.handler_id, customer_id = excluded.customer_id,
    target_department_id = excluded.target_department_id, target_staff_id = excluded.target_staff_id,
    target_team_id = excluded.target_team_id, received_at = excluded.received_at,
    received_date = excluded.received_date, loss_amount = excluded.loss_amount,
    customer_lost = excluded.customer_lost, bad_attitude = excluded.bad_attitude,
    delay_days = excluded.delay_days, obstruction = excluded.obstruction,
    obstruction_grave = excluded.obstruction_grave, anonymous = excluded.anonymous,
    reply_letter_only = excluded.reply_letter_only, written = excluded.written, major = excluded.major,
    severity_raised = excluded.severity_raised, handler_fine = excluded.handler_fine,
    upheld = excluded.upheld, decided_at = excluded.decided_at, content_hash = excluded.content_hash
