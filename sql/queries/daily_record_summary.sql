UPDATE day_runs SET last_summary = :summary WHERE business_date = :business_date
