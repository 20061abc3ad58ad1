#!/usr/bin/env bash
# First start of the metadata Postgres: a database of its own for Superset's metadata, beside
# Airflow's.
set -euo pipefail
: "${SUPERSET_DB_PASSWORD:?set SUPERSET_DB_PASSWORD in .env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v pw="$SUPERSET_DB_PASSWORD" <<'SQL'
create role superset login password :'pw';
create database superset owner superset;
SQL
