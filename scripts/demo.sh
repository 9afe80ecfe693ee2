#!/usr/bin/env bash
# The main job on the embedded default: a SQLite complaint database with six months of demo data,
# the business calendar, and the daily run over every business date of the period.
set -euo pipefail
cd "$(dirname "$0")/.."
export COMPLAINT_OPS_DB="${COMPLAINT_OPS_DB:-sqlite:///$PWD/var/complaints.db}"
export TZ_BUSINESS="${COMPLAINT_OPS_TZ:-Asia/Shanghai}"
end=$(TZ="$TZ_BUSINESS" date -d yesterday +%F)
start=$(TZ="$TZ_BUSINESS" date -d "$end - 6 months" +%F)

rm -f var/complaints.db var/complaints.db-wal var/complaints.db-shm
complaint-ops db upgrade
complaint-ops calendar fill
complaint-ops demo-data --months 6 --seed 7 --end-date "$end"
complaint-ops run-days --from "$start" --to "$end" > var/demo-run-days.txt
tail -n 4 var/demo-run-days.txt
echo
complaint-ops penalties list > var/demo-proposals.txt
head -n 8 var/demo-proposals.txt
echo
cat <<MSG
Done. The complaint database is $COMPLAINT_OPS_DB.
  complaint-ops ledger --from $start --to $end      # every posted fine and point, with totals
  complaint-ops penalties list                       # severe penalties waiting for the general manager
  complaint-ops run-day $end --dry-run               # re-run a date: nothing new is posted
MSG
