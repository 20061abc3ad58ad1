{#- Data tests run again only when what they test changed (输入未变的测试不重跑).

    A test that passed on exactly the inputs it reads now (its own compiled SQL and, as for
    table_when_inputs_change, the batches, seeds and model versions it is built on) would pass
    again: it is reported as passed without running its query. A month of contributions then
    re-checks that month's models, not every other feed's millions of rows.

    Only `dbt build` skips, and only after a pass, and only where every input has a
    fingerprint: a test that failed or warned, a test of a view or of a table written
    outside the loader, or one whose SQL reads the clock, runs every time. `dbt test` (asked
    to look at the data as it is now) runs every test; --full-refresh and --vars
    '{recheck_unchanged: true}' run every test and remember the passes. The record is kept
    in staging.build_inputs as 'test:<unique id>'. -#}

{% materialization test, default %}
    {%- set key = 'test:' ~ model.unique_id -%}
    {#- Only `dbt build` remembers: `dbt test` is asked to look at the data, so it always does.
        --full-refresh and recheck_unchanged run every test, and remember what passed. -#}
    {%- set remembers = flags.WHICH == 'build' -%}
    {%- set inputs = build_inputs_fingerprint(model, sql) if remembers else none -%}
    {%- if inputs is not none and not should_full_refresh() and not var('recheck_unchanged', false) -%}
        {{ ensure_build_inputs_table() }}
        {%- set rows = run_query("select inputs from " ~ build_inputs_table()
                                 ~ " where relation = '" ~ key ~ "'") -%}
        {%- if rows | length > 0 and rows.columns[0].values()[0] == inputs -%}
            {%- call statement('main', fetch_result=True) -%}
                select 0 as failures, false as should_warn, false as should_error
            {%- endcall -%}
            {{ return({'relations': []}) }}
        {%- endif -%}
    {%- elif inputs is not none -%}
        {{ ensure_build_inputs_table() }}
    {%- endif -%}
    {%- set result = dbt.materialization_test_default() -%}
    {%- set outcome = load_result('main') -%}
    {%- if inputs is not none and outcome is not none and outcome.table is not none -%}
        {%- set row = outcome.table.rows[0] -%}
        {%- set passed = row['failures'] | int == 0 and not row['should_warn']
                         and not row['should_error'] -%}
        {%- call statement('record_test_inputs') -%}
            {%- if passed %}
            insert into {{ build_inputs_table() }} (relation, inputs, built_at)
            values ('{{ key }}', '{{ inputs }}', clock_timestamp())
            on conflict (relation) do update
            set inputs = excluded.inputs, built_at = excluded.built_at
            {%- else %}
            delete from {{ build_inputs_table() }} where relation = '{{ key }}'
            {%- endif %}
        {%- endcall -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {{ return(result) }}
{% endmaterialization %}
