-- Warehouse frame: schemas, batch log, quarantine and shared SQL functions. Idempotent.
create schema if not exists raw;
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
