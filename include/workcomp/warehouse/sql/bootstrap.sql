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

-- The check-digit functions are single expressions with no FROM, so the planner inlines them
-- into the query that calls them: a raw suite checks a month of 1.8M rows in seconds, where
-- a subquery over generate_series per row took half a minute. Not STRICT (a strict function
-- is inlined only if its body is strict, and CASE is not), so a null is answered explicitly.

-- GB 32100-2015 check digit (统一社会信用代码校验位), mirroring stdnum.cn.uscc (tests compare
-- the two): 18 characters, the first 8 digits, the rest from the code's 31-character alphabet,
-- weights 3^(i-1) mod 31 on the first 17, (31 - sum mod 31) mod 31 → the 18th's value.
create or replace function util.uscc_is_valid(code text) returns boolean
language sql immutable parallel safe as $$
    select case
        when code is null then null
        when code !~ '^[0-9]{8}[0-9A-HJ-NP-RTUWXY]{10}$' then false
        else (31 - (
             (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 1, 1)) - 1) * 1
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 2, 1)) - 1) * 3
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 3, 1)) - 1) * 9
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 4, 1)) - 1) * 27
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 5, 1)) - 1) * 19
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 6, 1)) - 1) * 26
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 7, 1)) - 1) * 16
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 8, 1)) - 1) * 17
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 9, 1)) - 1) * 20
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 10, 1)) - 1) * 29
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 11, 1)) - 1) * 25
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 12, 1)) - 1) * 13
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 13, 1)) - 1) * 8
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 14, 1)) - 1) * 24
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 15, 1)) - 1) * 10
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 16, 1)) - 1) * 30
           + (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 17, 1)) - 1) * 28
           ) % 31) % 31 = strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, 18, 1)) - 1
    end
$$;

-- GB 11643-1999 resident ID check (居民身份证号码校验码): weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
-- on the first 17 digits, sum mod 11 → 1 0 X 9 8 7 6 5 4 3 2. Tested against python-stdnum.
create or replace function util.ric_is_valid(code text) returns boolean
language sql immutable parallel safe as $$
    select case
        when code is null then null
        when code !~ '^[0-9]{17}[0-9X]$' then false
        else substr('10X98765432', (
             (ascii(substr(code, 1, 1)) - 48) * 7
           + (ascii(substr(code, 2, 1)) - 48) * 9
           + (ascii(substr(code, 3, 1)) - 48) * 10
           + (ascii(substr(code, 4, 1)) - 48) * 5
           + (ascii(substr(code, 5, 1)) - 48) * 8
           + (ascii(substr(code, 6, 1)) - 48) * 4
           + (ascii(substr(code, 7, 1)) - 48) * 2
           + (ascii(substr(code, 8, 1)) - 48) * 1
           + (ascii(substr(code, 9, 1)) - 48) * 6
           + (ascii(substr(code, 10, 1)) - 48) * 3
           + (ascii(substr(code, 11, 1)) - 48) * 7
           + (ascii(substr(code, 12, 1)) - 48) * 9
           + (ascii(substr(code, 13, 1)) - 48) * 10
           + (ascii(substr(code, 14, 1)) - 48) * 5
           + (ascii(substr(code, 15, 1)) - 48) * 8
           + (ascii(substr(code, 16, 1)) - 48) * 4
           + (ascii(substr(code, 17, 1)) - 48) * 2
           ) % 11 + 1, 1) = substr(code, 18, 1)
    end
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
