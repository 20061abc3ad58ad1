-- Who may do what in the warehouse. Idempotent; run by bootstrap (as the warehouse owner) and
-- by `workcomp roles apply`. dbt's `grants` config (dbt_project.yml) re-grants SELECT on every
-- mart and audit table it builds, so a rebuild never loses them.
--
--   workcomp_loader       writes raw (the ingest DAGs)                    载入
--   workcomp_transformer  reads raw, builds every other schema (dbt)      转换
--   bi_reader             reads the published marts only (BI tools)       报表只读
--   auditor               reads marts and audit, writes nothing (稽核人员)
--   PUBLIC                nothing
do $$
declare
    role_name text;
begin
    foreach role_name in array array['workcomp_loader', 'workcomp_transformer', 'bi_reader', 'auditor'] loop
        if not exists (select from pg_roles where rolname = role_name) then
            begin
                execute format('create role %I nologin', role_name);
            exception when duplicate_object or unique_violation then
                null;  -- created meanwhile by a bootstrap in another database
            end;
        end if;
    end loop;
    execute format('revoke all on database %I from public', current_database());
    execute format(
        'grant connect on database %I to workcomp_loader, workcomp_transformer, bi_reader, auditor',
        current_database()
    );
end
$$;

create schema if not exists reference;
create schema if not exists marts_build;
create schema if not exists audit_build;

revoke all on schema public, raw, raw_store, staging, intermediate, marts, audit, util, reference,
    marts_build, audit_build from public;
revoke execute on all functions in schema util from public;
alter default privileges revoke execute on functions from public;

-- loader: raw only (the views in raw and the rows they show, stored in raw_store).
grant usage, create on schema raw, raw_store to workcomp_loader;
grant select, insert, update, delete on all tables in schema raw, raw_store to workcomp_loader;
grant usage on all sequences in schema raw to workcomp_loader;
alter default privileges in schema raw
    grant select, insert, update, delete on tables to workcomp_loader;
alter default privileges in schema raw_store
    grant select, insert, update, delete on tables to workcomp_loader;

-- transformer: reads raw (and the person-key salt), owns what dbt builds. It reads raw rows
-- through the raw.<feed> views only, never raw_store, where unpublished rows may lie.
grant usage on schema raw, util to workcomp_transformer;
grant select on all tables in schema raw, util to workcomp_transformer;
grant execute on all functions in schema util to workcomp_transformer;
alter default privileges in schema raw grant select on tables to workcomp_transformer;
grant usage, create on schema staging, intermediate, marts, audit, reference, marts_build,
    audit_build to workcomp_transformer;
grant select, insert, update, delete on all tables in schema audit to workcomp_transformer;

-- bi_reader: the published marts. Tables are built in marts_build (no USAGE there) and moved
-- into marts when their suites pass; the SELECT dbt grants travels with the table.
grant usage on schema marts to bi_reader;
grant select on all tables in schema marts to bi_reader;

-- auditor: marts and audit, read only. The one view with full identity numbers
-- (audit.case_identities) lives in audit.
grant usage on schema marts, audit to auditor;
grant select on all tables in schema marts, audit to auditor;
