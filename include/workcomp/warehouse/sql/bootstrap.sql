-- Warehouse frame: schemas, batch log, quarantine and shared SQL functions. Idempotent.
create schema if not exists raw;
create schema if not exists raw_store;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists audit;
create schema if not exists util;

-- One row per delivered batch (landing/<source>/<dataset>/<batch>/).
create table if not exists raw.batches (
    batch_id          text primary key,
    source            text not null,
    dataset           text not null,
    batch_name        text not null,
    files             text[] not null,
    sha256            text not null,
    rows_read         integer,
    rows_loaded       integer,
    rows_quarantined  integer,
    status            text not null check (status in ('loaded', 'failed')),
    message           text,
    started_at        timestamptz not null,
    finished_at       timestamptz not null default now(),
    constraint batches_reconcile check (
        status <> 'loaded' or rows_read = rows_loaded + rows_quarantined
    )
);

create index if not exists batches_content on raw.batches (source, dataset, sha256);

-- One row per loaded file (已入库文件): the lineage every stored raw row points to by
-- _file_id, instead of carrying its batch and file name itself. raw.<feed> is a view of
-- raw_store.<feed> joined to this table, so a stored row is visible only once its file's row
-- here has committed: a load may write its rows from several connections and still publish
-- them at once. File ids increase in load order, so the highest is the latest delivery.
create sequence if not exists raw.file_ids as integer;
create table if not exists raw.files (
    file_id      integer primary key,
    raw_table    text not null,
    batch_id     text not null,
    source_file  text not null,
    loaded_at    timestamptz not null default now()
);
create index if not exists files_batch on raw.files (batch_id);

-- Files whose rows a helper connection has committed to raw_store but whose load has not yet
-- published them in raw.files. A load that died leaves its ids here; the next load of the
-- feed deletes those rows, which no view ever showed.
create table if not exists raw.unpublished_files (
    file_id    integer primary key,
    raw_table  text not null,
    since      timestamptz not null default now()
);

-- Rejected rows with their original cells and every reason; never silently dropped.
create table if not exists raw.quarantine (
    batch_id        text not null,
    source          text not null,
    dataset         text not null,
    source_file     text not null,
    row_number      integer not null,
    original        jsonb not null,
    reasons         text[] not null,
    quarantined_at  timestamptz not null default now(),
    primary key (batch_id, source_file, row_number)
);

-- GB 32100-2015 check digit, mirroring stdnum.cn.uscc (tests compare the two).
create or replace function util.uscc_is_valid(code text) returns boolean
language sql immutable strict parallel safe as $$
    select length(code) = 18
       and substr(code, 1, 8) ~ '^[0-9]{8}$'
       and coalesce(bool_and(strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, i, 1)) > 0), false)
       and (31 - sum(
               (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, i, 1)) - 1)
               * (array[1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28])[i]
           ) filter (where i <= 17) % 31) % 31
           = max(strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, i, 1)) - 1)
               filter (where i = 18)
    from generate_series(1, 18) as i
$$;

-- GB 11643-1999 resident ID check (居民身份证号码校验码): weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
-- on the first 17 digits, sum mod 11 → 1 0 X 9 8 7 6 5 4 3 2. Tested against python-stdnum.
create or replace function util.ric_is_valid(code text) returns boolean
language sql immutable strict parallel safe as $$
    select case when code !~ '^[0-9]{17}[0-9X]$' then false else (
        select substr('10X98765432', (sum(
                   substr(code, i, 1)::integer
                   * (array[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2])[i]
               ) % 11)::integer + 1, 1) = substr(code, 18, 1)
        from generate_series(1, 17) as i
    ) end
$$;

-- Secrets the warehouse keeps for itself; no role but the owner reads them.
create table if not exists util.secrets (
    name   text primary key,
    value  text not null
);
revoke all on util.secrets from public;

-- Person key (人员标识): a salted SHA-256 of the resident ID number, so marts can count and
-- join people without holding their ID numbers. The salt lives only in util.secrets.
create or replace function util.person_key(resident_id text) returns text
language sql stable strict parallel safe security definer
set search_path = pg_catalog, util as $$
    select encode(sha256(convert_to(s.value || '|' || upper(resident_id), 'UTF8')), 'hex')
    from util.secrets as s
    where s.name = 'person_key_salt'
$$;

-- Review decisions on anomaly cases (疑点核查结论), written by audit staff through
-- `workcomp audit review`. dbt only reads this table, so a rebuild keeps every decision; the
-- case key is stable across builds. One row per decision, the latest counts.
create table if not exists audit.case_reviews (
    review_id bigint generated always as identity primary key,
    case_key text not null,
    status text not null check (status in ('confirmed', 'dismissed', 'referred')),
    note text,
    reviewer text not null default current_user,
    reviewed_at timestamptz not null default clock_timestamp()
);
create index if not exists case_reviews_case_key on audit.case_reviews (case_key, reviewed_at desc);

-- One row per expectation per quality run (数据质量检查结果), queryable over time: which suite,
-- which expectation, pass or fail, how many rows broke it, and the suite's severity.
create table if not exists audit.quality_results (
    run_id            text not null,
    run_at            timestamptz not null,
    suite             text not null,
    severity          text not null check (severity in ('critical', 'warning')),
    expectation       text not null,
    column_name       text,
    description       text,
    success           boolean not null,
    unexpected_count  bigint,
    element_count     bigint
);
-- The table each suite validated: a mart is validated in its build schema before publication.
alter table audit.quality_results add column if not exists validated_table text;
create index if not exists quality_results_run on audit.quality_results (run_at desc, suite);
