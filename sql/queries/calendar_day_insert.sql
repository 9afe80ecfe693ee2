-- One derived calendar day; executed with many parameter sets (executemany).
INSERT INTO business_days (day, working, wd_ordinal, holiday_name, source)
VALUES (:day, :working, :wd_ordinal, :holiday_name, :source)
