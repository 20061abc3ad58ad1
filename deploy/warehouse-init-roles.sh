#!/usr/bin/env bash
# First start of the compose warehouse: the read-only role BI tools connect as (bi_reader).
# It may read the published marts and nothing else: not raw, staging, intermediate, audit,
# nor the unpublished marts_build. Tables are created in marts_build and moved into marts
# when they pass their quality suites; a grant travels with the table, and only USAGE on
# marts lets bi_reader reach them.
set -euo pipefail
: "${BI_READER_PASSWORD:?set BI_READER_PASSWORD in .env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v bi_password="$BI_READER_PASSWORD" -v dbname="$POSTGRES_DB" <<'SQL'
revoke all on database :"dbname" from public;
revoke create on schema public from public;
create role bi_reader login password :'bi_password' nosuperuser nocreatedb nocreaterole;
grant connect on database :"dbname" to bi_reader;
create schema if not exists marts;
create schema if not exists marts_build;
grant usage on schema marts to bi_reader;
grant select on all tables in schema marts to bi_reader;
alter default privileges in schema marts_build grant select on tables to bi_reader;
alter default privileges in schema marts grant select on tables to bi_reader;
SQL
