#!/usr/bin/env bash
# The main job on the embedded default, through Airflow: a SQLite complaint database with six months of
# demo data and the business calendar; the older business dates backfilled in-process (their mail archived,
# as a backfill does), then the daily DAG run by Airflow (`airflow dags test`) for the last five business
# dates, whose digests and alerts are captured under var/outbox/ (no SMTP server configured).
set -euo pipefail
cd "$(dirname "$0")/.."
export COMPLAINT_OPS_DB="${COMPLAINT_OPS_DB:-sqlite:///$PWD/var/complaints.db}"
tz="${COMPLAINT_OPS_TZ:-Asia/Shanghai}"
end=$(TZ="$tz" date -d yesterday +%F)
start=$(TZ="$tz" date -d "$end - 6 months" +%F)

rm -rf var/complaints.db var/complaints.db-wal var/complaints.db-shm var/outbox var/airflow
complaint-ops db upgrade
complaint-ops calendar fill
complaint-ops demo-data --months 6 --seed 7 --end-date "$end"

# The last five business dates go through Airflow; everything before them is a backfill in-process.
mapfile -t last5 < <(complaint-ops calendar show --from "$(TZ="$tz" date -d "$end - 20 days" +%F)" --to "$end" \
    --format json | python3 -c 'import json,sys; print("\n".join([d["date"] for d in json.load(sys.stdin) if d["working"]][-5:]))')
before=$(TZ="$tz" date -d "${last5[0]} - 1 day" +%F)
complaint-ops run-days --from "$start" --to "$before" > var/demo-run-days.txt
tail -n 1 var/demo-run-days.txt

export AIRFLOW_HOME="$PWD/var/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$PWD/dags" AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
export AIRFLOW_CONN_COMPLAINTS_DB="{\"conn_type\": \"sqlite\", \"host\": \"$PWD/var/complaints.db\"}"
export COMPLAINT_OPS_DAILY_DEADLINE_HOURS=0  # Airflow 3.3.2's `dags test` trips over Deadline Alerts (README)
mkdir -p "$AIRFLOW_HOME"
airflow db migrate > var/airflow/migrate.log 2>&1
for day in "${last5[@]}"; do
    # logical date = the business date (UTC midnight is 08:00 in Shanghai, the same date)
    if airflow dags test complaint_ops_daily "$day" > "var/airflow/dags-test-$day.log" 2>&1; then
        echo "airflow dags test complaint_ops_daily $day: success"
    else
        echo "airflow dags test complaint_ops_daily $day: FAILED (var/airflow/dags-test-$day.log)" >&2
        exit 1
    fi
done
echo
complaint-ops penalties list > var/demo-proposals.txt
head -n 6 var/demo-proposals.txt
mails=$(find var/outbox -name '*.eml' 2>/dev/null | wc -l)
cat <<MSG

Done. Complaint database: $COMPLAINT_OPS_DB
  $mails mails captured in var/outbox/ (open the .html files in a browser)
  complaint-ops ledger --from $start --to $end      # every posted fine and point, with totals
  complaint-ops penalties list                       # severe penalties waiting for the general manager
  complaint-ops orders --status overdue              # overdue work, by owner
  complaint-ops run-day $end --dry-run               # re-run a date: nothing new is posted
Browse it in the Airflow UI: see README, "Airflow".
MSG
