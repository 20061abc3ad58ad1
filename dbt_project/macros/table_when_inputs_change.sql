{#- A table rebuilt only when something it is built from changed (输入未变则跳过重建).

    A monthly run brings a month of contributions and little else; rebuilding the enrolment
    spans, the monthly headcount and the people of a province from scratch each time costs
    minutes and changes nothing. A model materialized as `table_when_inputs_change` is built
    exactly like a table (dbt's own table materialization does the work) unless its inputs are
    the same as at its last build, and then it is left as it is:

    - its own compiled SQL (so a code change or a var it reads rebuilds it), its config and
      its documented columns;
    - each raw source it reads: the set of loaded batch versions of that feed in raw.batches
      (batch id and the time its load finished; the loader is the only writer of raw). A
      source outside raw (audit.case_reviews, written by audit staff) has no such log, so a
      model reading one is rebuilt every time, and so is a model whose SQL reads the clock
      (current_date: waiting times grow by the day);
    - each seed it reads: the seed file's checksum;
    - each model it reads: the time that model was last rebuilt, as recorded here, or for an
      incremental_by_month model the months it holds and when each was rebuilt
      (staging.incremental_months). A view, or a parent with no record, counts as changed.

    The fingerprint is taken before the build and recorded after it succeeds, in
    staging.build_inputs; a batch that commits while the build runs is seen next time. No
    record, a missing relation or --full-refresh means a full rebuild. dbt still runs the
    model's data tests either way.

    Marts and audit models use it too. Under write-audit-publish (the production build) they
    are built in marts_build / audit_build, which publishing empties, so there they are
    rebuilt every time; a plain `dbt build` keeps the unchanged ones in place. -#}

{% macro build_inputs_table() -%}
    {{ generate_schema_name('staging', none) }}.build_inputs
{%- endmacro %}

{% macro ensure_build_inputs_table() %}
    {%- set found = run_query("select to_regclass('" ~ build_inputs_table() ~ "') is not null") -%}
    {%- if not found.columns[0].values()[0] -%}
        {%- call statement('build_inputs_table') -%}
            -- Models build in parallel: one creates the table, the others wait for it.
            select pg_advisory_xact_lock(hashtext('workcomp.build_inputs'));
            create table if not exists {{ build_inputs_table() }} (
                relation text primary key,  -- schema.table: marts_build.x is not marts.x
                inputs text not null,
                built_at timestamptz not null
            );
            comment on table {{ build_inputs_table() }} is
                'Inputs each table_when_inputs_change model was built from, or each remembered test passed on (模型与测试输入指纹)';
        {%- endcall -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
{% endmacro %}

{#- The fingerprint of the node's inputs, or none when one cannot be known (always rebuild). -#}
{% macro build_inputs_fingerprint(node, compiled_sql) %}
    {#- The date or time of the build in the SQL: the result changes with it (waiting times). -#}
    {%- set lowered = compiled_sql | lower -%}
    {%- for volatile in ['current_date', 'current_timestamp', 'now()', 'clock_timestamp',
                         'localtimestamp', 'statement_timestamp', 'transaction_timestamp'] -%}
        {%- if volatile in lowered -%}{{ return(none) }}{%- endif -%}
    {%- endfor -%}
    {%- set parts = ['sql:' ~ local_md5(compiled_sql),
                     'config:' ~ local_md5(tojson(node.config, sort_keys=true)),
                     'columns:' ~ local_md5(tojson(node.columns, sort_keys=true))] -%}
    {%- set feeds = [] -%}
    {%- set models = [] -%}
    {%- set incrementals = [] -%}
    {%- for uid in node.depends_on.nodes | unique | sort -%}
        {%- if uid.startswith('source.') -%}
            {%- set src = graph.sources[uid] -%}
            {%- if src.schema != 'raw' -%}
                {{ return(none) }}  {#- written outside the loader (case reviews): no batch log -#}
            {%- endif -%}
            {%- do feeds.append((src.source_name, src.name)) -%}
        {%- elif uid.startswith('seed.') -%}
            {%- do parts.append(uid ~ ':' ~ graph.nodes[uid].checksum.checksum) -%}
        {%- elif uid.startswith('model.') -%}
            {%- set parent = graph.nodes[uid] -%}
            {%- if parent.config.materialized == 'table_when_inputs_change' -%}
                {%- do models.append(parent.schema ~ '.' ~ (parent.alias or parent.name)) -%}
            {%- elif parent.config.materialized == 'incremental' -%}
                {%- do incrementals.append(parent.alias or parent.name) -%}
            {%- else -%}
                {{ return(none) }}  {#- a view changes whenever its own inputs do -#}
            {%- endif -%}
        {%- else -%}
            {{ return(none) }}  {#- snapshots and the like: no fingerprint, always rebuild -#}
        {%- endif -%}
    {%- endfor -%}
    {%- if feeds -%}
        {#- One line per feed, empty for a feed with no batch yet (its first batch changes it). -#}
        {%- set query -%}
            select coalesce(string_agg(b.batch_id || '@' || b.finished_at::text, ','
                                       order by b.batch_id), '')
            from (values
                {%- for s, d in feeds %} ('{{ s }}', '{{ d }}'){{ "," if not loop.last }}{% endfor %}
            ) as f (source, dataset)
            left join raw.batches as b
                on b.source = f.source and b.dataset = f.dataset and b.status = 'loaded'
            group by f.source, f.dataset
            order by f.source, f.dataset
        {%- endset -%}
        {%- do parts.extend(run_query(query).columns[0].values()) -%}
    {%- endif -%}
    {%- if models -%}
        {%- set query -%}
            select relation || '@' || built_at::text from {{ build_inputs_table() }}
            where relation in ({% for m in models %}'{{ m }}'{{ ", " if not loop.last }}{% endfor %})
            order by relation
        {%- endset -%}
        {%- set found = run_query(query).columns[0].values() -%}
        {%- if found | length < models | length -%}
            {{ return(none) }}
        {%- endif -%}
        {%- do parts.extend(found) -%}
    {%- endif -%}
    {%- if incrementals -%}
        {#- An incremental_by_month model: which months it holds and when each was rebuilt. -#}
        {%- set query -%}
            select m || ':' || coalesce((
                select count(*) || '@' || max(built_at)::text
                from {{ incremental_state_schema() }}.incremental_months where model = m
            ), 'none')
            from unnest(array[{% for m in incrementals %}'{{ m }}'{{ ", " if not loop.last }}{% endfor %}]) as m
            order by m
        {%- endset -%}
        {%- do parts.extend(run_query(query).columns[0].values()) -%}
    {%- endif -%}
    {{ return(local_md5(parts | join('|'))) }}
{% endmacro %}

{% materialization table_when_inputs_change, adapter='postgres' %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- set relation_key = this.schema ~ '.' ~ this.identifier -%}
    {{ ensure_build_inputs_table() }}
    {%- set inputs = build_inputs_fingerprint(model, compiled_code) -%}
    {%- set recorded = none -%}
    {%- if existing is not none and existing.is_table and not should_full_refresh()
           and inputs is not none -%}
        {%- set rows = run_query("select inputs from " ~ build_inputs_table()
                                 ~ " where relation = '" ~ relation_key ~ "'") -%}
        {%- if rows | length > 0 -%}{%- set recorded = rows.columns[0].values()[0] -%}{%- endif -%}
    {%- endif -%}
    {%- if recorded is not none and recorded == inputs -%}
        {{ log("unchanged inputs, kept as built: " ~ this, info=false) }}
        {%- call statement('main') -%}
            select 'inputs unchanged: {{ this.identifier }} kept as built'
        {%- endcall -%}
        {#- What dbt's log shows for the node instead of SELECT n. -#}
        {%- do store_raw_result(name='main', message='KEPT (inputs unchanged)', code='KEPT',
                                rows_affected=0) -%}
        {#- Grants are the model's config, not its data: applied again as a rebuild would. -#}
        {%- do apply_grants(target_relation, config.get('grants'), should_revoke=True) -%}
        {%- do adapter.commit() -%}
        {{ return({'relations': [target_relation]}) }}
    {%- endif -%}
    {#- Built as a plain table; the record follows only once that build has committed. -#}
    {%- call statement('forget_inputs') -%}
        delete from {{ build_inputs_table() }} where relation = '{{ relation_key }}'
    {%- endcall -%}
    {%- do adapter.commit() -%}
    {%- set result = materialization_table_default() -%}
    {%- if inputs is not none -%}
        {%- call statement('record_inputs') -%}
            insert into {{ build_inputs_table() }} (relation, inputs, built_at)
            values ('{{ relation_key }}', '{{ inputs }}', clock_timestamp())
            on conflict (relation) do update
            set inputs = excluded.inputs, built_at = excluded.built_at
        {%- endcall -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {{ return(result) }}
{% endmaterialization %}
