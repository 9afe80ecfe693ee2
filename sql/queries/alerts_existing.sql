SELECT alert_key FROM alerts WHERE alert_key IN :record_ids
