#!/usr/bin/env bash
# Run once by the postgres image on an empty volume (docker-entrypoint-initdb.d): the complaints
# database beside Airflow's metadata DB, and its three roles (README, "Database roles"):
#   complaints               owns the database; runs the migrations (airflow-init only)
#   complaint_ops_app        what the DAG tasks connect as; migration 0006 grants it what it may do
#   complaint_ops_reporting  what read-only tasks connect as; SELECT only (migration 0006)
# Passwords come from the environment (.env / .env.owner), never from this file; psql's \getenv keeps
# them off the command line.
set -euo pipefail
export COMPLAINT_OPS_OWNER_DB_PASSWORD="${COMPLAINT_OPS_OWNER_DB_PASSWORD:-complaints}"
export COMPLAINT_OPS_APP_DB_PASSWORD="${COMPLAINT_OPS_APP_DB_PASSWORD:-app-change-me}"
export COMPLAINT_OPS_REPORTING_DB_PASSWORD="${COMPLAINT_OPS_REPORTING_DB_PASSWORD:-reporting-change-me}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv owner_pw COMPLAINT_OPS_OWNER_DB_PASSWORD
\getenv app_pw COMPLAINT_OPS_APP_DB_PASSWORD
\getenv reporting_pw COMPLAINT_OPS_REPORTING_DB_PASSWORD
CREATE ROLE complaints LOGIN PASSWORD :'owner_pw';
CREATE DATABASE complaints OWNER complaints;
CREATE ROLE complaint_ops_app LOGIN NOINHERIT PASSWORD :'app_pw';
CREATE ROLE complaint_ops_reporting LOGIN NOINHERIT PASSWORD :'reporting_pw';
SQL
