{#- Incremental by month (按月增量) for the large facts.

    A staging model built this way rebuilds only the months that the batches delivered since
    its last build touch. A batch delivered again replaces its earlier load as a whole (the
    loader deletes the earlier rows), so a month is rebuilt from raw in full, never patched
    row by row: that is what makes a month built incrementally equal to the same month built
    from scratch, deleted and superseded rows included.

    Two bookkeeping tables in the staging schema say what each model reflects:
    - staging.incremental_batches: every batch version (batch id and the time its load
      finished) the model has read, and the months where the model holds rows from it;
    - staging.incremental_months: when each month of the model was last rebuilt. Models built
      on the staging model (int_employer_contributions_monthly, month_follow_start) rebuild the
      months that changed there, recording which rebuild of the upstream month they read; data
      tests of these models check only the months of their last build.

    The months to rebuild are worked out once, in a pre-hook, into temporary tables of the
    model's transaction, so the delete, the insert and the bookkeeping agree on one list even
    when a batch commits while the build runs (such a batch is simply read again next time). -#}

{#- The bookkeeping tables live beside the staging models, whatever the model's own schema. -#}
{% macro incremental_state_schema() -%}
    {{ generate_schema_name('staging', none) }}
{%- endmacro %}

{% macro incremental_state_tables() %}
    {%- set schema = incremental_state_schema() -%}
    create table if not exists {{ schema }}.incremental_batches (
        model text not null,
        batch_id text not null,
        batch_finished_at timestamptz not null,
        months date[] not null,
        primary key (model, batch_id)
    );
    create table if not exists {{ schema }}.incremental_months (
        model text not null,
        period_month date not null,
        built_at timestamptz not null,
        source_built_at timestamptz,  -- a following model: the upstream rebuild it read
        primary key (model, period_month)
    );
    comment on table {{ schema }}.incremental_batches is
        'Batch versions each incremental model has read, and the months holding their rows (增量批次记录)';
    comment on table {{ schema }}.incremental_months is
        'When each month of an incremental model was last rebuilt (增量月份记录)';
{% endmacro %}

{#- Pre-hook: which batches changed and which months to rebuild; the stale months are deleted.
    source_name/table_name name the raw source; month_column is its month ('YYYY-MM', the
    contract's month_column, which raw indexes). Lists are passed as arrays (= any(array(...)))
    so that the block-range indexes on raw and the month index of the model are used. -#}
{% macro month_rebuild_start(source_name, table_name, month_column) %}
    {%- set raw = source(source_name, table_name) -%}
    {{ incremental_state_tables() }}
    drop table if exists pg_temp.wc_changed_batches;
    drop table if exists pg_temp.wc_rebuild_months;
    -- Every loaded batch of the feed whose version the model has not read yet, and every
    -- batch it has read that is no longer loaded.
    create temporary table wc_changed_batches on commit drop as
    select b.batch_id, b.finished_at as batch_finished_at
    from raw.batches as b
    where b.source = '{{ source_name }}' and b.dataset = '{{ table_name }}' and b.status = 'loaded'
      {%- if is_incremental() %}
      and not exists (
          select 1 from {{ incremental_state_schema() }}.incremental_batches as s
          where s.model = '{{ this.identifier }}' and s.batch_id = b.batch_id
            and s.batch_finished_at = b.finished_at
      )
    union all
    select s.batch_id, null
    from {{ incremental_state_schema() }}.incremental_batches as s
    where s.model = '{{ this.identifier }}'
      and not exists (
          select 1 from raw.batches as b
          where b.batch_id = s.batch_id and b.status = 'loaded'
      )
      {%- endif %};
    {%- if is_incremental() %}
    -- The months the new versions have rows in, and the months the model holds rows of the
    -- earlier versions in.
    create temporary table wc_rebuild_months on commit drop as
    select distinct to_date({{ month_column }} || '-01', 'YYYY-MM-DD') as period_month
    from {{ raw }}
    -- by file id: the block-range index on raw_store finds those files' rows
    where _file_id = any(array(
        select f.file_id from raw.files as f
        where f.batch_id in (select batch_id from wc_changed_batches)
    ))
    union
    select unnest(s.months)
    from {{ incremental_state_schema() }}.incremental_batches as s
    where s.model = '{{ this.identifier }}'
      and s.batch_id in (select batch_id from wc_changed_batches);
    delete from {{ this }} where period_month = any(array(select period_month from wc_rebuild_months));
    {%- endif %}
{% endmacro %}

{#- The model's filter on raw: only rows of the months being rebuilt (everything on a full build). -#}
{% macro month_rebuild_filter(month_column) -%}
    {%- if is_incremental() -%}
        where {{ month_column }} = any(array(select to_char(period_month, 'YYYY-MM') from wc_rebuild_months))
    {%- endif -%}
{%- endmacro %}

{#- Post-hook: record the batch versions read and the months rebuilt, in the same transaction. -#}
{% macro month_rebuild_finish() %}
    {%- set model = "'" ~ this.identifier ~ "'" -%}
    {%- set state = incremental_state_schema() ~ '.incremental_batches' -%}
    {%- set months = incremental_state_schema() ~ '.incremental_months' -%}
    {%- if is_incremental() %}
    -- Months the model now holds per batch: the rebuilt months as found, the others as before.
    drop table if exists pg_temp.wc_batch_months;
    create temporary table wc_batch_months on commit drop as
    select batch_id, array_agg(period_month order by period_month) as months
    from (
        select distinct batch_id, period_month from {{ this }}
        where period_month = any(array(select period_month from wc_rebuild_months))
    ) as held
    group by batch_id;
    delete from {{ state }} as s
    using wc_changed_batches as c
    where s.model = {{ model }} and s.batch_id = c.batch_id and c.batch_finished_at is null;
    insert into {{ state }} (model, batch_id, batch_finished_at, months)
    select {{ model }}, c.batch_id, c.batch_finished_at, '{}'
    from wc_changed_batches as c
    where c.batch_finished_at is not null
    on conflict (model, batch_id) do update set batch_finished_at = excluded.batch_finished_at;
    update {{ state }} as s
    set months = array(
        select m from unnest(s.months) as m
        where m not in (select period_month from wc_rebuild_months)
        union
        select unnest(coalesce(
            (select bm.months from wc_batch_months as bm where bm.batch_id = s.batch_id), '{}'
        ))
        order by 1
    )
    where s.model = {{ model }};
    insert into {{ months }} (model, period_month, built_at)
    select {{ model }}, period_month, now() from wc_rebuild_months
    on conflict (model, period_month) do update set built_at = excluded.built_at;
    {%- else %}
    -- One pass over the table: which batch holds rows in which month.
    drop table if exists pg_temp.wc_batch_month_pairs;
    create temporary table wc_batch_month_pairs on commit drop as
    select distinct batch_id, period_month from {{ this }};
    delete from {{ state }} where model = {{ model }};
    insert into {{ state }} (model, batch_id, batch_finished_at, months)
    select {{ model }}, c.batch_id, c.batch_finished_at, coalesce(held.months, '{}')
    from wc_changed_batches as c
    left join (
        select batch_id, array_agg(period_month order by period_month) as months
        from wc_batch_month_pairs
        group by batch_id
    ) as held on held.batch_id = c.batch_id;
    delete from {{ months }} where model = {{ model }};
    insert into {{ months }} (model, period_month, built_at)
    select distinct {{ model }}, period_month, now() from wc_batch_month_pairs;
    {%- endif %}
{% endmacro %}

{#- Pre-hook of a model built by month from an incremental_by_month model (`upstream`): the
    months rebuilt there since this model read them, and the months that vanished there. -#}
{% macro month_follow_start(upstream) %}
    {%- set months = incremental_state_schema() ~ '.incremental_months' -%}
    {{ incremental_state_tables() }}
    drop table if exists pg_temp.wc_follow_months;
    create temporary table wc_follow_months on commit drop as
    select u.period_month, u.built_at as source_built_at
    from {{ months }} as u
    where u.model = '{{ upstream }}'
      {%- if is_incremental() %}
      and not exists (
          select 1 from {{ months }} as o
          where o.model = '{{ this.identifier }}' and o.period_month = u.period_month
            and o.source_built_at = u.built_at
      )
    union all
    select o.period_month, null
    from {{ months }} as o
    where o.model = '{{ this.identifier }}'
      and not exists (
          select 1 from {{ months }} as u
          where u.model = '{{ upstream }}' and u.period_month = o.period_month
      )
      {%- endif %};
    {%- if is_incremental() %}
    delete from {{ this }} where period_month = any(array(select period_month from wc_follow_months));
    {%- endif %}
{% endmacro %}

{#- The following model's filter on its upstream: only the months being rebuilt. -#}
{% macro month_follow_filter() -%}
    {%- if is_incremental() -%}
        where period_month = any(array(select period_month from wc_follow_months))
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of a following model: which upstream rebuild each month now reflects. -#}
{% macro month_follow_finish() %}
    {%- set model = "'" ~ this.identifier ~ "'" -%}
    {%- set months = incremental_state_schema() ~ '.incremental_months' -%}
    {%- if not is_incremental() %}
    delete from {{ months }} where model = {{ model }};
    {%- endif %}
    delete from {{ months }} as o
    using wc_follow_months as f
    where o.model = {{ model }} and o.period_month = f.period_month and f.source_built_at is null;
    insert into {{ months }} (model, period_month, built_at, source_built_at)
    select {{ model }}, period_month, now(), source_built_at
    from wc_follow_months
    where source_built_at is not null
    on conflict (model, period_month) do update
    set built_at = excluded.built_at, source_built_at = excluded.source_built_at;
{% endmacro %}
