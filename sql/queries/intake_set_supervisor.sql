UPDATE staff SET supervisor_id = :supervisor_id WHERE id = :id
